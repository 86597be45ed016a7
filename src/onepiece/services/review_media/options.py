"""What review media to make and how, resolved from settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Literal

from onepiece.config import Settings
from onepiece.domain.review_media import DEFAULT_FPS, PROXY_MAX_WIDTH, THUMBNAIL_WIDTH

DISPLAY_REFERRED = "display"  # an input colour space meaning "show the values as they are"


@dataclass(frozen=True)
class ReviewOptions:
    ocio_config: str = "ocio://studio-config-latest"
    display: str | None = None
    view: str | None = None
    input_colorspaces: dict[str, str] = field(default_factory=lambda: {"exr": "scene_linear"})
    thumbnail_width: int = THUMBNAIL_WIDTH
    thumbnail_format: Literal["jpg", "png"] = "jpg"
    proxy_max_width: int = PROXY_MAX_WIDTH
    proxy_crf: int = 20
    max_pixels: int = 8192 * 8192
    workers: int = 2
    default_fps: Fraction = DEFAULT_FPS

    def colorspace_for(self, extension: str) -> str:
        """The input colour space of a still, by extension (display-referred if unlisted)."""
        return self.input_colorspaces.get(extension.lower().lstrip("."), DISPLAY_REFERRED)


def options_from_settings(settings: Settings) -> ReviewOptions:
    section = settings.review_media
    return ReviewOptions(
        ocio_config=section.ocio_config,
        display=section.display,
        view=section.view,
        input_colorspaces={k.lower(): v for k, v in section.input_colorspaces.items()},
        thumbnail_width=section.thumbnail_width,
        thumbnail_format=section.thumbnail_format,
        proxy_max_width=section.proxy_max_width,
        proxy_crf=section.proxy_crf,
        max_pixels=section.max_pixels,
        workers=section.workers,
    )
