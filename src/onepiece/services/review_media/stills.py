"""Read a still (EXR, DPX, TIFF, PNG, JPEG...) with OpenImageIO as display pixels.

The header is read first: a picture over ``max_pixels`` is refused before a
single pixel is decoded (a 16k x 16k frame would need gigabytes). The shown
channels follow ``pick_channels`` (RGB, a layer's RGB, luminance, or the first
ones); the picture fills its display window (a smaller data window sits on
black). A thumbnail is resized in its own colour space (linear light
filters correctly) and only then converted to display with the exact OCIO
processor, so the transform runs on the small picture; a movie frame is
converted at full size with the baked LUT and scaled by the encoder.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from onepiece.domain.review_media import ChannelChoice, fit_width, pick_channels
from onepiece.services.review_media.colour import to_display
from onepiece.services.review_media.options import ReviewOptions

STILL_EXTENSIONS = frozenset(
    {"exr", "dpx", "tif", "tiff", "png", "jpg", "jpeg", "hdr", "tga", "sgi", "cin", "bmp"}
)


class StillError(ValueError):
    """A still cannot be read (missing, truncated, broken header, too large)."""


@dataclass(frozen=True)
class StillInfo:
    width: int  # display window
    height: int
    pixel_aspect: float
    channels: ChannelChoice
    timecode: str | None  # SMPTE timecode in the header, when there is one


def _open(path: Path) -> Any:
    import OpenImageIO as oiio  # noqa: TID251 - heavy, only when pixels are read

    if not path.is_file() or path.stat().st_size == 0:
        raise StillError(f"{path.name}: empty or missing file")
    image = oiio.ImageInput.open(str(path))
    if image is None:
        raise StillError(f"{path.name}: cannot read: {oiio.geterror() or 'unknown format'}")
    return image


def _info(spec: Any) -> StillInfo:
    timecode = spec.get_string_attribute("smpte:TimeCode", "") or None
    return StillInfo(
        width=spec.full_width or spec.width,
        height=spec.full_height or spec.height,
        pixel_aspect=float(spec.get_float_attribute("PixelAspectRatio", 1.0) or 1.0),
        channels=pick_channels(list(spec.channelnames)),
        timecode=timecode if isinstance(timecode, str) else None,
    )


def probe(path: Path) -> StillInfo:
    image = _open(path)
    try:
        return _info(image.spec())
    finally:
        image.close()


def read_rgb(
    path: Path, options: ReviewOptions, *, keep_half: bool = False
) -> tuple[NDArray[Any], StillInfo]:
    """Full-resolution float RGB of the display window, in the file's colour space.

    ``keep_half``: a half-float file stays half (float16), half the bytes to convert."""
    import OpenImageIO as oiio  # noqa: TID251 - heavy, only when pixels are read

    image = _open(path)
    try:
        spec = image.spec()
        info = _info(spec)
        pixels = spec.width * spec.height
        if pixels > options.max_pixels or info.width * info.height > options.max_pixels:
            raise StillError(
                f"{path.name}: {spec.width}x{spec.height} is larger than "
                f"review_media.max_pixels ({options.max_pixels}); no review picture made"
            )
        # Only the channels shown are decoded (a multi-layer EXR may hold dozens).
        first, last = min(info.channels.indices), max(info.channels.indices) + 1
        half = keep_half and spec.format == oiio.HALF
        data = image.read_image(0, 0, first, last, oiio.HALF if half else oiio.FLOAT)
        if data is None:
            raise StillError(f"{path.name}: cannot decode: {image.geterror() or 'truncated?'}")
    finally:
        image.close()
    dtype = np.float16 if half else np.float32
    array = np.asarray(data, dtype=dtype).reshape(spec.height, spec.width, last - first)
    wanted = [index - first for index in info.channels.indices]
    rgb = array if wanted == [0, 1, 2] else array[:, :, wanted]
    if (spec.x, spec.y, spec.width, spec.height) != (
        spec.full_x,
        spec.full_y,
        info.width,
        info.height,
    ):
        rgb = _place_in_display_window(rgb, spec, info)
    return np.ascontiguousarray(rgb), info


def _place_in_display_window(rgb: NDArray[Any], spec: Any, info: StillInfo) -> Any:
    canvas = np.zeros((info.height, info.width, 3), dtype=rgb.dtype)
    left, top = spec.x - spec.full_x, spec.y - spec.full_y
    src_x0, src_y0 = max(0, -left), max(0, -top)
    dst_x0, dst_y0 = max(0, left), max(0, top)
    w = min(spec.width - src_x0, info.width - dst_x0)
    h = min(spec.height - src_y0, info.height - dst_y0)
    if w > 0 and h > 0:
        canvas[dst_y0 : dst_y0 + h, dst_x0 : dst_x0 + w] = rgb[
            src_y0 : src_y0 + h, src_x0 : src_x0 + w
        ]
    return canvas


def resize(rgb: NDArray[np.float32], width: int, height: int) -> NDArray[np.float32]:
    """A filtered resize."""
    import OpenImageIO as oiio  # noqa: TID251 - heavy, only when pixels are read

    if rgb.shape[1] == width and rgb.shape[0] == height:
        return rgb
    clean = np.nan_to_num(rgb, nan=0.0, posinf=65504.0, neginf=0.0)
    # A triangle filter widened to the scale averages the source like an area filter,
    # at a fraction of the default (blackman-harris) filter's cost.
    out = oiio.ImageBufAlgo.resize(
        oiio.ImageBuf(np.ascontiguousarray(clean)),
        filtername="triangle",
        roi=oiio.ROI(0, width, 0, height, 0, 1, 0, 3),
    )
    if out.has_error:
        raise StillError(f"cannot resize: {out.geterror()}")
    return np.asarray(out.get_pixels(oiio.FLOAT), dtype=np.float32).reshape(height, width, 3)


def display_frame(path: Path, options: ReviewOptions) -> tuple[NDArray[np.uint8], StillInfo]:
    """8-bit display RGB of ``path`` at full size, for a movie (the encoder scales it)."""
    rgb, info = read_rgb(path, options, keep_half=True)
    return to_display(rgb, options.colorspace_for(path.suffix), options, fast=True), info


def display_still(
    path: Path, width: int, options: ReviewOptions, size: tuple[int, int] | None = None
) -> tuple[NDArray[np.uint8], StillInfo]:
    """8-bit display RGB of ``path``, ``width`` wide (or exactly ``size``)."""
    rgb, info = read_rgb(path, options)
    if size is None:
        size = fit_width(info.width, info.height, width, info.pixel_aspect)
    small = resize(rgb, *size)
    colorspace = options.colorspace_for(path.suffix)
    return to_display(small, colorspace, options), info
