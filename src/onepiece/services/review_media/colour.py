"""Scene-referred pixels to display pixels with OpenColorIO.

One CPU processor per (config, input colour space, display, view), built once
and shared by the worker threads (OCIO processors are thread-safe). A config
named ``ocio://...`` is one of the configs built into OCIO, so nothing needs
installing or configuring.
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
    import PyOpenColorIO as OCIO  # noqa: TID251 - heavy, only when pixels are converted

    config = _config(source)
    display = display or config.getDefaultDisplay()
    view = view or config.getDefaultView(display)
    try:
        processor = config.getProcessor(colorspace, display, view, OCIO.TRANSFORM_DIR_FORWARD)
        return processor.getDefaultCPUProcessor()
    except OCIO.Exception as exc:
        raise ColourError(
            f"OCIO cannot convert {colorspace!r} to display {display!r}, view {view!r}: {exc}"
        ) from exc


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
    rgb: NDArray[np.float32], colorspace: str, options: ReviewOptions
) -> NDArray[np.uint8]:
    """Float RGB (h, w, 3) in ``colorspace`` to 8-bit display RGB."""
    pixels = np.ascontiguousarray(np.nan_to_num(rgb, nan=0.0, posinf=65504.0, neginf=0.0))
    pixels = pixels.astype(np.float32, copy=False)
    if colorspace != DISPLAY_REFERRED:
        with _lock:  # building a processor is not thread-safe; applying one is
            cpu = _processor(options.ocio_config, colorspace, options.display, options.view)
        cpu.applyRGB(pixels)
    return np.asarray(np.clip(pixels * 255.0 + 0.5, 0.0, 255.0), dtype=np.uint8)
