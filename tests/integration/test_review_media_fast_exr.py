"""Plain RGB(A) EXRs decoded by FFmpeg's EXR decoder for review movies: the same
picture as OpenImageIO's read, and every other EXR still read by OpenImageIO.

Files are written by OpenImageIO (OpenEXR) with each lossless compression; the
fast path's 8-bit display picture must equal the general path's bit for bit
(same pixels into the same OCIO LUT), and the proxy must match a direct OCIO
conversion.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import OpenImageIO as oiio
import pytest

from onepiece.domain.exr_header import plain_exr
from onepiece.services.review_media.exr_frames import display_frame_fast
from onepiece.services.review_media.options import ReviewOptions
from onepiece.services.review_media.sequences import make_sequence
from onepiece.services.review_media.stills import display_frame
from tests.integration.test_review_media_imaging import decoded_frames, reference_display
from tests.review_media_support import exr_sequence, probe_movie, write_exr


def _scene(width: int, height: int, channels: int) -> np.ndarray:
    """Scene-linear values across the range a plate holds: deep shadow to bright
    highlights, negatives, and the odd NaN and infinity a render leaves."""
    rng = np.random.default_rng(7)
    pixels = np.exp(rng.normal(-1.5, 2.0, (height, width, channels))).astype(np.float32)
    pixels[0, 0, 0], pixels[1, 1, 1], pixels[2, 2, 2], pixels[3, 3, 0] = -0.5, 70000, np.nan, np.inf
    return pixels


def _write(path: Path, pixels: np.ndarray, compression: str, pixel_type: object) -> Path:
    height, width, count = pixels.shape
    spec = oiio.ImageSpec(width, height, count, pixel_type)
    spec.attribute("compression", compression)
    output = oiio.ImageOutput.create(str(path))
    assert output is not None and output.open(str(path), spec), oiio.geterror()
    assert output.write_image(np.ascontiguousarray(pixels))
    output.close()
    return path


@pytest.mark.parametrize(
    "compression", ["none", "rle", "zips", "zip", "piz", "pxr24", "b44", "b44a"]
)
@pytest.mark.parametrize(("pixel_type", "channels"), [("half", 3), ("float", 4)])
def test_the_fast_decoder_gives_the_general_readers_picture_bit_for_bit(
    tmp_path: Path, compression: str, pixel_type: str, channels: int
) -> None:
    kind = oiio.HALF if pixel_type == "half" else oiio.FLOAT
    path = _write(tmp_path / "plate.1.exr", _scene(97, 53, channels), compression, kind)
    options = ReviewOptions()
    fast = display_frame_fast(path, options)
    assert fast is not None, "a plain file must take the fast path"
    general, _ = display_frame(path, options)
    assert fast.shape == general.shape == (53, 97, 3)
    assert np.array_equal(fast, general)


@pytest.mark.parametrize(
    ("name", "channels", "compression"),
    [
        ("layer", ("diffuse.R", "diffuse.G", "diffuse.B"), "zip"),
        ("luminance", ("Y",), "zip"),
        ("depth", ("R", "G", "B", "Z"), "zip"),
        ("lossy", ("R", "G", "B"), "dwaa"),
    ],
)
def test_other_exrs_are_left_to_the_general_reader(
    tmp_path: Path, name: str, channels: tuple[str, ...], compression: str
) -> None:
    pixels = np.full((36, 64, len(channels)), 0.18, dtype=np.float32)
    spec = oiio.ImageSpec(64, 36, len(channels), oiio.HALF)
    spec.channelnames = channels
    spec.attribute("compression", compression)
    path = tmp_path / f"{name}.1.exr"
    output = oiio.ImageOutput.create(str(path))
    assert output is not None and output.open(str(path), spec)
    assert output.write_image(pixels)
    output.close()
    assert display_frame_fast(path, ReviewOptions()) is None
    made = make_sequence({1: path}, tmp_path, name, Fraction(24), ReviewOptions())
    assert made.proxy is not None and made.details["frames_read_by"] == {"openimageio": 1}


def test_a_data_window_inside_the_display_window_is_left_to_the_general_reader(
    tmp_path: Path,
) -> None:
    spec = oiio.ImageSpec(32, 16, 3, oiio.HALF)
    spec.x, spec.y = 8, 4
    spec.full_x, spec.full_y, spec.full_width, spec.full_height = 0, 0, 64, 36
    path = tmp_path / "window.1.exr"
    output = oiio.ImageOutput.create(str(path))
    assert output is not None and output.open(str(path), spec)
    assert output.write_image(np.full((16, 32, 3), 0.5, dtype=np.float32))
    output.close()
    assert display_frame_fast(path, ReviewOptions()) is None
    picture, _ = display_frame(path, ReviewOptions())
    assert picture.shape == (36, 64, 3)


def test_a_sequence_of_plain_frames_is_decoded_fast_and_matches_ocio(tmp_path: Path) -> None:
    frames = exr_sequence(tmp_path / "src", "plate", [1001, 1002, 1003])
    linear = np.empty((72, 128, 3), dtype=np.float32)
    linear[:] = (0.9, 0.3, 0.05)
    write_exr(frames[1002], linear)
    made = make_sequence(frames, tmp_path, "plate", Fraction(24), ReviewOptions())
    assert made.problems == []
    assert made.details["frames_read_by"] == {"ffmpeg": 3}
    assert made.proxy is not None and probe_movie(made.proxy)["frames"] == 3
    middle = decoded_frames(made.proxy)[1]
    expected = reference_display(linear[:1, :1])[0, 0].astype(int)
    # the first frame (64x36) sets the movie's size: the 128x72 frame is scaled to it
    assert np.abs(middle[8:28, 16:48].mean(axis=(0, 1)) - expected).max() <= 4


def test_a_truncated_frame_is_reported_and_held_not_shown_half_decoded(tmp_path: Path) -> None:
    frames = exr_sequence(tmp_path / "src", "plate", [1001, 1002, 1003], width=128, height=72)
    data = frames[1002].read_bytes()
    frames[1002].write_bytes(data[: len(data) * 3 // 4])
    assert plain_exr(frames[1002].read_bytes()) is None
    made = make_sequence(frames, tmp_path, "plate", Fraction(24), ReviewOptions())
    assert made.proxy is not None and probe_movie(made.proxy)["frames"] == 3
    assert any("frames 1002 unreadable" in problem for problem in made.problems)
    assert made.details["frames_read_by"] == {"ffmpeg": 2}
    first, held, _ = decoded_frames(made.proxy)
    assert np.abs(first.astype(int) - held.astype(int)).mean() < 1.0  # 1001 shown again
