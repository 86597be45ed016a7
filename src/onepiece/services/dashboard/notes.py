"""What a dashboard answer could not fetch fresh, said once per upstream system.

With the tracker down, every tracker-backed figure (the project list, counts,
each project's review data) fails for the same reason. Listing each one
repeats the same error once per project; instead the tracker gets one note:
the reason, what is served instead (the registry file, cached figures) and
the hint. Other sources (ingest registry, render jobs, reconciliation) each
keep their own note.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from onepiece.errors import OnePieceError, TrackerError


@dataclass
class DashboardNotes:
    """Collected while one answer is composed; ``message`` is what the response says."""

    others: list[str] = field(default_factory=list)
    tracker_down: TrackerError | None = None  # set once the tracker is known to be down
    tracker_error: TrackerError | None = None  # the first tracker failure seen
    project_list: str | None = None  # e.g. "project list from file, synced at ..."
    oldest_cached: datetime | None = None
    missing: bool = False  # some tracker figure had nothing cached

    def add(self, what: str, exc: BaseException, cached_at: datetime | None = None) -> None:
        if isinstance(exc, TrackerError):
            self.tracker_error = self.tracker_error or exc
            if cached_at is None:
                self.missing = True
            elif self.oldest_cached is None or cached_at < self.oldest_cached:
                self.oldest_cached = cached_at
            return
        reason = exc.message if isinstance(exc, OnePieceError) else str(exc)
        when = f"; serving data cached at {cached_at.isoformat()}" if cached_at else ""
        self.others.append(f"{what}: {reason}{when}")

    def tracker_is_down(self, exc: TrackerError, project_list: str) -> None:
        """The registry could not sync: later tracker reads in this answer use caches only."""
        self.tracker_down = exc
        self.tracker_error = self.tracker_error or exc
        self.project_list = project_list

    @property
    def tracker_fallback(self) -> str | None:
        """What is served instead of fresh tracker figures, or None while it answers."""
        if self.tracker_error is None:
            return None
        parts = [self.project_list] if self.project_list else []
        if self.oldest_cached is not None:
            parts.append(f"serving data cached at {self.oldest_cached.isoformat()}")
        if self.missing:
            parts.append("figures never fetched before are left out")
        return "; ".join(parts)

    @property
    def tracker_note(self) -> str | None:
        """The tracker's one line: why, what is served instead, and the hint."""
        exc = self.tracker_error
        if exc is None:
            return None
        note = f"tracker unavailable: {exc.message}"
        if self.tracker_fallback:
            note += f"; {self.tracker_fallback}"
        return note + (f" (hint: {exc.hint})" if exc.hint else "")

    @property
    def notes(self) -> tuple[str, ...]:
        """The other systems' notes, each once."""
        return tuple(dict.fromkeys(self.others))

    @property
    def message(self) -> str | None:
        return "; ".join(part for part in (self.tracker_note, *self.notes) if part) or None
