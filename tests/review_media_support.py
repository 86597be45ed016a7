"""Real media for review-media tests: movies written with PyAV, EXRs with OpenImageIO.

EXR frames hold scene-linear (ACEScg) values: a horizontal ramp plus a
per-frame grey level, so each frame's picture is known exactly.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import OpenImageIO as oiio


def linear_frame(width: int, height: int, frame: int) -> np.ndarray:
    """Scene-linear RGB: red ramps 0..2 across, green is the frame's level, blue 0.18."""
    pixels = np.empty((height, width, 3), dtype=np.float32)
    pixels[:, :, 0] = np.linspace(0.0, 2.0, width, dtype=np.float32)[None, :]
    pixels[:, :, 1] = (frame % 50) / 50.0
    pixels[:, :, 2] = 0.18
    return pixels


def write_exr(path: Path, pixels: np.ndarray, channels: tuple[str, ...] | None = None) -> Path:
    height, width, count = pixels.shape
    spec = oiio.ImageSpec(width, height, count, oiio.HALF)
    if channels is not None:
        spec.channelnames = channels
    spec.attribute("compression", "zip")
    output = oiio.ImageOutput.create(str(path))
    assert output is not None and output.open(str(path), spec), oiio.geterror()
    assert output.write_image(np.ascontiguousarray(pixels, dtype=np.float32))
    output.close()
    return path


def exr_sequence(
    folder: Path,
    stem: str,
    frames: list[int],
    *,
    width: int = 64,
    height: int = 36,
    padding: int = 4,
) -> dict[int, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for frame in frames:
        path = folder / f"{stem}.{frame:0{padding}d}.exr"
        written[frame] = write_exr(path, linear_frame(width, height, frame))
    return written


def write_movie(
    path: Path,
    *,
    codec: str = "libx264",
    frames: int = 24,
    fps: Fraction = Fraction(24),
    width: int = 320,
    height: int = 180,
    timecode: str | None = None,
) -> Path:
    """A clip whose frame i is a flat grey of level (i * 7) % 256."""
    pix_fmt = {"libx264": "yuv420p", "prores_ks": "yuv422p10le", "mpeg4": "yuv420p"}[codec]
    with av.open(str(path), "w") as container:
        if timecode:
            container.metadata["timecode"] = timecode
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, pix_fmt
        for index in range(frames):
            rgb = np.full((height, width, 3), (index * 7) % 256, dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format=pix_fmt)
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


def probe_movie(path: Path) -> dict[str, object]:
    """What a player sees: codec, pixel format, rate, frame count, duration, timecode."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        decoded = sum(1 for _ in container.decode(stream))
        timecode = stream.metadata.get("timecode") or container.metadata.get("timecode")
        return {
            "codec": stream.codec_context.name,
            "pix_fmt": stream.codec_context.pix_fmt,
            "fps": Fraction(stream.average_rate),
            "frames": decoded,
            "duration": float(container.duration / av.time_base),
            "timecode": timecode,
            "width": stream.width,
            "height": stream.height,
        }


def read_thumbnail(path: Path) -> np.ndarray:
    image = oiio.ImageInput.open(str(path))
    assert image is not None, oiio.geterror()
    pixels = image.read_image(oiio.UINT8)
    image.close()
    return np.asarray(pixels)
