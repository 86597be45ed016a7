"""How the pages print figures: Jinja2 filters, kept beside nothing else.

The pages' JavaScript (static/live.js) formats the same values the same way
when it updates them live, so a figure never changes shape on its first update.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from onepiece.domain.render import JobStatus
from onepiece.domain.status import BUCKETS

RENDER_STATUSES: tuple[str, ...] = tuple(status.value for status in JobStatus)
STATUS_BUCKETS: tuple[str, ...] = BUCKETS


def number(value: int | float | None) -> str:
    if value is None:
        return "–"
    return f"{value:,}"


def duration(seconds: float | None) -> str:
    """``h:mm:ss`` (``m:ss`` under an hour); a dash when unknown."""
    if seconds is None:
        return "–"
    whole = math.floor(seconds + 0.5)  # half up, as Math.round in live.js (not banker's)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def when(value: datetime | None) -> str:
    """UTC, minutes precision, for the first paint; the script shows local time."""
    if value is None:
        return "never"
    moment = value if value.tzinfo else value.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def iso(value: datetime | None) -> str:
    return value.isoformat() if value is not None else ""


def buckets(counts: Mapping[str, int] | None) -> str:
    """``in progress 2 · final 1``, largest first; a dash when empty."""
    if not counts:
        return "–"
    ordered = sorted(((n, k) for k, n in counts.items() if n), key=lambda item: -item[0])
    return " · ".join(f"{key.replace('_', ' ')} {n:,}" for n, key in ordered) or "–"


FILTERS: dict[str, Callable[..., Any]] = {
    "number": number,
    "duration": duration,
    "when": when,
    "iso": iso,
    "buckets": buckets,
}
