"""Destination keys from a layout template (``[ingest] layout`` or ``[shows.CODE] layout``).

The default is ``{show}/{episode}/{scene}/{shot}/{asset}/v{version:03d}/{filename}``.
Fields: project, show, episode, scene, shot, asset, version (a number), code
(the Version code), filename and ext. A template is checked once, when it is
compiled, so a typo fails before any file moves.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Any

from onepiece.errors import ConfigError, ValidationError

LAYOUT_FIELDS = (
    "project",
    "show",
    "episode",
    "scene",
    "shot",
    "asset",
    "version",
    "code",
    "filename",
    "ext",
)
_SAMPLE: dict[str, Any] = {
    "project": "demo",
    "show": "FG",
    "episode": "ep010",
    "scene": "sc02",
    "shot": "0010",
    "asset": "comp",
    "version": 4,
    "code": "FG_ep010_sc02_0010_comp_v004",
    "filename": "FG_ep010_sc02_0010_comp_v004.mov",
    "ext": "mov",
}


@dataclass(frozen=True)
class Layout:
    template: str

    def key(self, **fields: Any) -> str:
        """Render a key; refuses keys that would escape the bucket."""
        key = self.template.format(**fields)
        parts = key.split("/")
        if key.startswith("/") or any(part in ("", ".", "..") for part in parts):
            raise ValidationError(f"destination key {key!r} is not a clean relative key")
        return key


def compile_layout(template: str) -> Layout:
    """Check the template's fields and that it ends with the file name."""
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError as exc:
        raise ConfigError(f"layout {template!r} is not a valid template: {exc}") from exc
    unknown = sorted(names - set(LAYOUT_FIELDS))
    if unknown:
        raise ConfigError(
            f"layout {template!r} uses unknown fields {', '.join(unknown)}",
            hint=f"available fields: {', '.join(LAYOUT_FIELDS)}",
        )
    if "filename" not in names:
        raise ConfigError(
            f"layout {template!r} must contain {{filename}}",
            hint="files of one version would otherwise share a key",
        )
    layout = Layout(template)
    try:
        layout.key(**_SAMPLE)
    except (ValueError, ValidationError) as exc:
        raise ConfigError(f"layout {template!r} cannot be rendered: {exc}") from exc
    return layout
