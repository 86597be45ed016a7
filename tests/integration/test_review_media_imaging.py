"""Thumbnails and review movies from real media: EXR sequences, H.264 and ProRes clips.

EXRs are written in scene-linear (ACEScg, the studio config's scene_linear)
with OpenImageIO; the thumbnail must match the same pixels converted with
OpenColorIO directly. Proxies are decoded back with PyAV.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import PyOpenColorIO as OCIO
import pytest

from onepiece.services.review_media.movies import make_movie
from onepiece.services.review_media.options import ReviewOptions
from onepiece.services.review_media.sequences import make_sequence
from tests.review_media_support import (
    exr_sequence,
    linear_frame,
    probe_movie,
    read_thumbnail,
    write_exr,
    write_movie,
)

CONFIG = "ocio://studio-config-latest"


def reference_display(linear: np.ndarray) -> np.ndarray:
    """ACEScg to the config's default display and view, computed with OCIO alone."""
    config = OCIO.Config.CreateFromFile(CONFIG)
    display = config.getDefaultDisplay()
    view = config.getDefaultView(display)
    cpu = config.getProcessor(
        "ACEScg", display, view, OCIO.TRANSFORM_DIR_FORWARD
    ).getDefaultCPUProcessor()
    pixels = np.ascontiguousarray(linear.astype(np.float16).astype(np.float32))  # as stored
    cpu.applyRGB(pixels)
    return np.clip(pixels * 255.0 + 0.5, 0, 255).astype(np.uint8)


def decoded_frames(path: Path) -> list[np.ndarray]:
    import av

    with av.open(str(path)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


def test_exr_thumbnail_matches_a_direct_ocio_conversion(tmp_path: Path) -> None:
    frames = exr_sequence(tmp_path / "src", "plate", [1001, 1002, 1003])
    made = make_sequence(
        frames, tmp_path, "plate", Fraction(24), ReviewOptions(thumbnail_format="png")
    )
    assert made.problems == []
    assert made.thumbnail is not None
    thumb = read_thumbnail(made.thumbnail)
    expected = reference_display(linear_frame(64, 36, 1002))  # the middle frame
    assert thumb.shape == expected.shape
    assert np.abs(thumb.astype(int) - expected.astype(int)).max() <= 1


def test_a_jpeg_thumbnail_of_a_large_frame_is_480_wide_and_matches_within_tolerance(
    tmp_path: Path,
) -> None:
    linear = np.zeros((540, 960, 3), dtype=np.float32)
    linear[:, :480] = (0.18, 0.05, 0.02)  # flat halves: resizing cannot change them
    linear[:, 480:] = (0.9, 0.9, 0.9)
    write_exr(tmp_path / "big.1001.exr", linear)
    made = make_sequence(
        {1001: tmp_path / "big.1001.exr"}, tmp_path, "big", Fraction(24), ReviewOptions()
    )
    assert made.thumbnail is not None and made.thumbnail.suffix == ".jpg"
    thumb = read_thumbnail(made.thumbnail).astype(int)
    assert thumb.shape == (270, 480, 3)
    expected = reference_display(linear[:1, [0, 959]]).astype(int)[0]
    assert np.abs(thumb[100:170, 20:200].mean(axis=(0, 1)) - expected[0]).max() <= 3
    assert np.abs(thumb[100:170, 280:460].mean(axis=(0, 1)) - expected[1]).max() <= 3


def test_a_sequence_across_999_to_1000_with_a_gap_becomes_a_movie_holding_the_gap(
    tmp_path: Path,
) -> None:
    # Padding 3: .998 .999 .1000 .1002 sort wrongly by name; frame 1001 is missing.
    frames = exr_sequence(tmp_path / "src", "plate", [998, 999, 1000, 1002], padding=3)
    assert frames[1000].name == "plate.1000.exr" and frames[998].name == "plate.998.exr"
    made = make_sequence(frames, tmp_path, "plate", Fraction(24), ReviewOptions())
    assert made.problems == []
    assert made.proxy is not None
    info = probe_movie(made.proxy)
    assert info["codec"] == "h264" and info["pix_fmt"] == "yuv420p"
    assert info["frames"] == 5 and info["fps"] == 24
    assert info["duration"] == pytest.approx(5 / 24, abs=0.002)
    assert info["timecode"] == "00:00:41:14"  # frame 998 at 24 fps
    assert made.details["held_frames"] == "1001"
    green = [frame[:, :, 1].mean() for frame in decoded_frames(made.proxy)]
    # Green carries (frame % 50) / 50: 998, 999 bright; 1000 black; 1001 holds 1000.
    assert green[0] > 150 and green[1] > 150
    assert green[2] < 20 and abs(green[3] - green[2]) < 2
    assert green[4] > green[3] + 5  # 1002 is its own picture again


def test_the_sequence_rate_and_a_header_timecode_are_carried_over(tmp_path: Path) -> None:
    frames = exr_sequence(tmp_path / "src", "plate", [1, 2, 3, 4])
    made = make_sequence(frames, tmp_path, "plate", Fraction(24000, 1001), ReviewOptions())
    assert made.proxy is not None
    info = probe_movie(made.proxy)
    assert info["fps"] == Fraction(24000, 1001)
    assert info["duration"] == pytest.approx(4 * 1001 / 24000, abs=0.002)


def test_the_shown_channels_of_a_multi_layer_exr_are_its_layers_rgb(tmp_path: Path) -> None:
    pixels = np.zeros((36, 64, 4), dtype=np.float32)
    pixels[:, :, 0] = 1000.0  # depth.Z: would blow out a naive first-three-channels read
    pixels[:, :, 1] = 0.0  # diffuse.B
    pixels[:, :, 2] = 0.0  # diffuse.G
    pixels[:, :, 3] = 0.5  # diffuse.R
    path = write_exr(
        tmp_path / "layers.1.exr", pixels, ("depth.Z", "diffuse.B", "diffuse.G", "diffuse.R")
    )
    made = make_sequence({1: path}, tmp_path, "layers", Fraction(24), ReviewOptions())
    assert made.thumbnail is not None and made.details["channels"] == "diffuse.RGB"
    thumb = read_thumbnail(made.thumbnail).astype(int)
    expected = reference_display(np.array([[[0.5, 0.0, 0.0]]], dtype=np.float32))[0, 0]
    assert np.abs(thumb.mean(axis=(0, 1)) - expected).max() <= 4


def test_a_luminance_only_exr_is_shown_grey(tmp_path: Path) -> None:
    path = write_exr(tmp_path / "y.1.exr", np.full((36, 64, 1), 0.18, np.float32), ("Y",))
    made = make_sequence({1: path}, tmp_path, "y", Fraction(24), ReviewOptions())
    assert made.thumbnail is not None
    thumb = read_thumbnail(made.thumbnail).astype(int)
    r, g, b = thumb.mean(axis=(0, 1))
    assert abs(r - g) <= 2 and abs(g - b) <= 2 and 60 < g < 200


@pytest.mark.parametrize("codec", ["libx264", "prores_ks"])
def test_a_movie_gets_a_browser_playable_proxy_with_its_rate_and_timecode(
    tmp_path: Path, codec: str
) -> None:
    rate = Fraction(24000, 1001)
    source = write_movie(
        tmp_path / f"clip.{'mp4' if codec == 'libx264' else 'mov'}",
        codec=codec,
        frames=30,
        fps=rate,
        width=1280,
        height=720,
        timecode="01:00:00:00",
    )
    made = make_movie(
        source, tmp_path, "clip", ReviewOptions(proxy_max_width=640, thumbnail_width=320)
    )
    assert made.problems == []
    assert made.proxy is not None and made.thumbnail is not None
    info = probe_movie(made.proxy)
    assert (info["codec"], info["pix_fmt"]) == ("h264", "yuv420p")
    assert (info["width"], info["height"]) == (640, 360)
    assert info["frames"] == 30 and info["fps"] == rate
    assert info["duration"] == pytest.approx(30 * 1001 / 24000, abs=0.002)
    assert info["timecode"] == "01:00:00:00"
    data = made.proxy.read_bytes()
    assert data.index(b"moov") < data.index(b"mdat")  # faststart: plays while loading
    thumb = read_thumbnail(made.thumbnail).astype(int)
    assert thumb.shape == (180, 320, 3)
    assert abs(thumb.mean() - (14 * 7)) <= 6  # frame 14 of 30 is the middle: grey 98


@pytest.mark.parametrize("colour", [(0.18, 0.18, 0.18), (0.9, 0.3, 0.05), (0.02, 0.05, 0.4)])
def test_proxy_frames_match_a_direct_ocio_conversion(
    tmp_path: Path, colour: tuple[float, float, float]
) -> None:
    """The movie's frames go through the baked LUT: still the OCIO picture, within what
    H.264 (BT.709 limited range) changes."""
    linear = np.empty((72, 128, 3), dtype=np.float32)
    linear[:] = colour
    path = write_exr(tmp_path / "flat.1.exr", linear)
    made = make_sequence({1: path}, tmp_path, "flat", Fraction(24), ReviewOptions())
    assert made.proxy is not None
    (frame,) = decoded_frames(made.proxy)
    expected = reference_display(linear[:1, :1])[0, 0].astype(int)
    assert np.abs(frame[20:50, 30:100].mean(axis=(0, 1)) - expected).max() <= 4


def test_a_broken_first_frame_is_reported_and_the_movie_still_made(tmp_path: Path) -> None:
    frames = exr_sequence(tmp_path / "src", "plate", [1001, 1002, 1003])
    frames[1001].write_bytes(b"not an exr at all")
    made = make_sequence(frames, tmp_path, "plate", Fraction(24), ReviewOptions())
    assert made.proxy is not None and made.thumbnail is not None
    assert probe_movie(made.proxy)["frames"] == 3
    assert any("frames 1001 unreadable" in problem for problem in made.problems)


def test_a_broken_middle_frame_gives_the_thumbnail_to_its_neighbour(tmp_path: Path) -> None:
    frames = exr_sequence(tmp_path / "src", "plate", [1001, 1002, 1003])
    frames[1002].write_bytes(b"")
    made = make_sequence(
        frames, tmp_path, "plate", Fraction(24), ReviewOptions(thumbnail_format="png")
    )
    assert made.thumbnail is not None
    thumb = read_thumbnail(made.thumbnail)
    expected = reference_display(linear_frame(64, 36, 1001))  # nearest readable, lower first
    assert np.abs(thumb.astype(int) - expected.astype(int)).max() <= 1
    assert not any(problem.startswith("thumbnail") for problem in made.problems)
