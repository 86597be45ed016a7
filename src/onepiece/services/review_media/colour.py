"""Scene-referred pixels to display pixels with OpenColorIO.

One CPU processor per (config, input colour space, display, view), built once
and shared by the worker threads (OCIO processors are thread-safe). A config
named ``ocio://...`` is one of the configs built into OCIO, so nothing needs
installing or configuring.

Thumbnails use the exact processor. Review movies use the same transform
baked into a 65^3 tetrahedral 3D LUT behind a log2 shaper (linear inputs) or
a uniform one (others): an ACES 2.0 output transform costs about a
microsecond a pixel, the LUT some 50x less, and on pictures (not synthetic
fully saturated noise) it stays within one 8-bit code value of the exact one,
below what H.264 changes anyway.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

import numpy as np
from numpy.typing import NDArray

from onepiece.services.review_media.options import DISPLAY_REFERRED, ReviewOptions

_lock = threading.Lock()


class ColourError(ValueError):
    """The OCIO config, colour space, display or view cannot be used."""


@functools.lru_cache(maxsize=8)
def _config(source: str) -> Any:
    import PyOpenColorIO as OCIO  # noqa: TID251 - heavy, only when pixels are converted

    try:
        return OCIO.Config.CreateFromFile(source)
    except OCIO.Exception as exc:
        raise ColourError(f"cannot load OCIO config {source}: {exc}") from exc


@functools.lru_cache(maxsize=32)
def _processor(source: str, colorspace: str, display: str | None, view: str | None) -> Any:
    """The exact OCIO Processor (not yet a CPU one) for colorspace -> display/view."""
    import PyOpenColorIO as OCIO  # noqa: TID251 - heavy, only when pixels are converted

    config = _config(source)
    display = display or config.getDefaultDisplay()
    view = view or config.getDefaultView(display)
    try:
        return config.getProcessor(colorspace, display, view, OCIO.TRANSFORM_DIR_FORWARD)
    except OCIO.Exception as exc:
        raise ColourError(
            f"OCIO cannot convert {colorspace!r} to display {display!r}, view {view!r}: {exc}"
        ) from exc


LUT_SIZE = 65
LG2_STOPS = (-12.0, 10.0)  # linear 2^-12 .. 2^10 around 1.0: deep black to 1024x white
UNIFORM_RANGE = (-0.25, 1.75)  # log and video encodings (ACEScct reaches ~1.47)


@functools.lru_cache(maxsize=16)
def _baked(source: str, colorspace: str, display: str | None, view: str | None) -> Any:
    import PyOpenColorIO as OCIO  # noqa: TID251 - heavy, only when pixels are converted

    config = _config(source)
    exact = _processor(source, colorspace, display, view).getDefaultCPUProcessor()
    space = config.getColorSpace(colorspace)
    if space is None:
        raise ColourError(f"OCIO config {source} has no colour space {colorspace!r}")
    shaper = OCIO.AllocationTransform()
    if config.isColorSpaceLinear(space.getName(), OCIO.REFERENCE_SPACE_SCENE):
        low, high = LG2_STOPS
        shaper.setAllocation(OCIO.ALLOCATION_LG2)
        shaper.setVars([low, high, 2.0**low])
    else:
        shaper.setAllocation(OCIO.ALLOCATION_UNIFORM)
        shaper.setVars(list(UNIFORM_RANGE))
    unshape = config.getProcessor(shaper, OCIO.TRANSFORM_DIR_INVERSE).getDefaultCPUProcessor()
    axis = np.linspace(0.0, 1.0, LUT_SIZE, dtype=np.float32)
    red, green, blue = np.meshgrid(axis, axis, axis, indexing="ij")  # blue fastest, as OCIO
    lattice = np.ascontiguousarray(np.stack([red, green, blue], axis=-1).reshape(-1, 3))
    unshape.applyRGB(lattice)
    exact.applyRGB(lattice)
    lut = OCIO.Lut3DTransform(LUT_SIZE)
    lut.setData(lattice.reshape(-1))
    lut.setInterpolation(OCIO.INTERP_TETRAHEDRAL)
    group = OCIO.GroupTransform()
    group.appendTransform(shaper)
    group.appendTransform(lut)
    return config.getProcessor(group)


@functools.lru_cache(maxsize=32)
def _to_8bit(
    source: str, colorspace: str, display: str | None, view: str | None, fast: bool, half: bool
) -> Any:
    """A CPU processor from float RGB straight to 8-bit (OCIO rounds, clamps, zeroes NaN)."""
    import PyOpenColorIO as OCIO  # noqa: TID251 - heavy, only when pixels are converted

    processor = (_baked if fast else _processor)(source, colorspace, display, view)
    depth = OCIO.BIT_DEPTH_F16 if half else OCIO.BIT_DEPTH_F32
    return processor.getOptimizedCPUProcessor(
        depth, OCIO.BIT_DEPTH_UINT8, OCIO.OPTIMIZATION_DEFAULT
    )


def describe(options: ReviewOptions, colorspace: str) -> str:
    """What the conversion is, for the review record."""
    if colorspace == DISPLAY_REFERRED:
        return "display-referred (as delivered)"
    with _lock:
        config = _config(options.ocio_config)
    display = options.display or config.getDefaultDisplay()
    view = options.view or config.getDefaultView(display)
    return f"{colorspace} -> {display} / {view} ({options.ocio_config})"


def to_display(
    rgb: NDArray[Any], colorspace: str, options: ReviewOptions, *, fast: bool = False
) -> NDArray[np.uint8]:
    """Float RGB (h, w, 3; float32 or float16) in ``colorspace`` to 8-bit display RGB
    (``fast``: the baked LUT)."""
    if colorspace == DISPLAY_REFERRED:
        clean = np.nan_to_num(rgb, nan=0.0, posinf=1.0, neginf=0.0)
        return np.asarray(np.clip(clean * 255.0 + 0.5, 0.0, 255.0), dtype=np.uint8)
    import PyOpenColorIO as OCIO  # noqa: TID251 - heavy, only when pixels are converted

    half = rgb.dtype == np.float16
    pixels = np.ascontiguousarray(rgb, dtype=np.float16 if half else np.float32)
    height, width = pixels.shape[:2]
    out = np.empty((height, width, 3), dtype=np.uint8)
    with _lock:  # building a processor is not thread-safe; applying one is
        cpu = _to_8bit(options.ocio_config, colorspace, options.display, options.view, fast, half)
    depth = OCIO.BIT_DEPTH_F16 if half else OCIO.BIT_DEPTH_F32
    cpu.apply(
        OCIO.PackedImageDesc(
            pixels,
            width,
            height,
            3,
            depth,
            pixels.itemsize,
            3 * pixels.itemsize,
            width * 3 * pixels.itemsize,
        ),
        OCIO.PackedImageDesc(out, width, height, 3, OCIO.BIT_DEPTH_UINT8, 1, 3, width * 3),
    )
    return out


def planes_to_display(
    planes: tuple[NDArray[Any], NDArray[Any], NDArray[Any]],
    width: int,
    colorspace: str,
    options: ReviewOptions,
) -> NDArray[np.uint8]:
    """Planar R, G, B (each (height, row) float16 or float32, rows ``width`` wide or
    padded past it, as a decoder leaves them) to 8-bit packed display RGB with the baked
    LUT, read in place: no interleaving copy first."""
    red, green, blue = planes
    height, row = red.shape
    if colorspace == DISPLAY_REFERRED:
        return to_display(np.stack([p[:, :width] for p in planes], axis=-1), colorspace, options)
    import PyOpenColorIO as OCIO  # noqa: TID251 - heavy, only when pixels are converted

    half = red.dtype == np.float16
    out = np.empty((height, row, 3), dtype=np.uint8)
    with _lock:  # building a processor is not thread-safe; applying one is
        cpu = _to_8bit(options.ocio_config, colorspace, options.display, options.view, True, half)
    depth = OCIO.BIT_DEPTH_F16 if half else OCIO.BIT_DEPTH_F32
    # Whole rows, padding included (OCIO wants the buffers' exact size; the padding is a
    # few pixels at most, and none at 2K or HD widths), then the picture is cut out.
    cpu.apply(
        OCIO.PlanarImageDesc(red, green, blue, row, height, depth, red.itemsize, red.strides[0]),
        OCIO.PackedImageDesc(out, row, height, 3, OCIO.BIT_DEPTH_UINT8, 1, 3, row * 3),
    )
    return out if row == width else np.ascontiguousarray(out[:, :width])
