"""What making one Version's review media produced (files and problems)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Derivatives:
    thumbnail: Path | None = None
    proxy: Path | None = None
    problems: list[str] = field(default_factory=list)  # one line per thing not made
    details: dict[str, Any] = field(default_factory=dict)  # fps, frames, timecode, colour...
