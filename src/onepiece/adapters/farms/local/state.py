"""The local farm's per-job state, as the folders hold it: frame counts and
process checks shared by the farm and its tests."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Any

from onepiece.domain.render import FrameCounts


def parse_time(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def process_alive(pid: int, marker: str) -> bool:
    """Is ``pid`` running (not a zombie) and still the process we started?"""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    proc = Path(f"/proc/{pid}")
    if not proc.exists():
        return True  # no procfs: trust kill(0)
    try:
        stat = (proc / "stat").read_text()
        cmdline = (proc / "cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return False
    state = stat.rsplit(")", 1)[-1].split()[0]
    return state not in ("Z", "X") and marker in cmdline


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
