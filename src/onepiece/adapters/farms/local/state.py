"""The local farm's per-job state, as the folders hold it: times and frame counts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from onepiece.domain.render import FrameCounts


def parse_time(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def frame_counts(chunks: list[dict[str, Any]], job_status: str = "") -> FrameCounts:
    """Frames by state; in a cancelled job nothing left unrendered is waiting any more."""
    total = sum(c["count"] for c in chunks)
    counts = {"waiting": 0, "running": 0, "succeeded": 0, "failed": 0, "cancelled": 0}
    for c in chunks:
        rest = c["count"] - c["done"]
        counts["succeeded"] += c["done"]
        key = {"running": "running", "failed": "failed", "cancelled": "cancelled"}.get(
            c["status"], "waiting"
        )
        if job_status == "cancelled" and key in ("waiting", "running"):
            key = "cancelled"
        counts[key] += rest
    return FrameCounts(total=total, **counts)
