"""The workload summary behind the dashboard page and ``GET /summary``.

``/metrics`` carries the same figures but needs the dashboard token; the
pages follow the read policy, so they read this instead. It reuses the
dashboard service (and its caches) for tracker and review figures, and reads
the two cheap, fast-moving sources fresh on every call: the ingest run
registry (a small JSON file) and the render job counts (one SQL aggregate).
That way a page that re-reads the summary after a live event sees the event
reflected, instead of a figure cached for ``dashboard.cache_ttl``.

When the tracker is unreachable the summary says so (``tracker.available``
false, with what to check), and keeps every figure it can.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from onepiece.domain.dashboard import (
    DashboardMetrics,
    IngestSummary,
    RenderSummary,
    ReviewProject,
    summarise_ingest,
)
from onepiece.domain.project_dashboard import StatusTotals
from onepiece.errors import OnePieceError
from onepiece.services.dashboard.service import DashboardService, ingest_summary
from onepiece.state.ingest_runs_reader import read_ingest_runs

TRACKER_HINTS = {
    "shotgrid": (
        "Check ONEPIECE_SHOTGRID_URL, ONEPIECE_SHOTGRID_SCRIPT and ONEPIECE_SHOTGRID_KEY, "
        "and that the ShotGrid site is reachable from this server"
    ),
    "kitsu": (
        "Check ONEPIECE_KITSU_URL (ending in /api), ONEPIECE_KITSU_EMAIL and "
        "ONEPIECE_KITSU_PASSWORD, and that zou is reachable from this server"
    ),
    "local": (
        "Check ONEPIECE_TRACKER_PATH (default <data dir>/tracker.db) points at a readable "
        "tracker database"
    ),
}


@dataclass(frozen=True)
class TrackerState:
    backend: str
    available: bool
    message: str | None = None
    hint: str | None = None


@dataclass(frozen=True)
class ProjectRow:
    code: str
    name: str
    shots: int | None
    versions: int | None
    status: StatusTotals | None
    review: ReviewProject


@dataclass(frozen=True)
class WorkloadSummary:
    generated_at: datetime
    metrics: DashboardMetrics
    ingest: IngestSummary
    render: RenderSummary
    projects: list[ProjectRow]
    tracker: TrackerState
    message: str | None = None


class IngestMemo:
    """The ingest summary, re-read only when the registry file changed.

    Every open dashboard re-reads ``/summary`` after each live event, so the
    registry (up to a thousand runs) is parsed once per change, not per request.
    Keyed by the file's identity (mtime_ns, size, inode): ingest writers replace
    the file atomically, so any write gives a new key.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: tuple[tuple[Path, int, int, int] | None, IngestSummary] | None = None

    def summary(self, path: Path) -> IngestSummary:
        try:
            st = os.stat(path)
            key: tuple[Path, int, int, int] | None = (path, st.st_mtime_ns, st.st_size, st.st_ino)
        except FileNotFoundError:
            key = None
        last = self._last
        if last is not None and last[0] == key:
            return last[1]
        with self._lock:
            summary = summarise_ingest(read_ingest_runs(path))
            self._last = (key, summary)
        return summary


_ingest_memo = IngestMemo()


def _tracker_message(error: str | None, fallback: str | None) -> str | None:
    """ "Tracker unreachable: why", and what is served instead."""
    if error is None:
        return None
    return f"Tracker unreachable: {error}" + (f"; {fallback}" if fallback else "")


def workload_summary(
    dashboard: DashboardService,
    *,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> WorkloadSummary:
    """Every figure the dashboard page shows, fresh where it is cheap to be."""
    metrics = dashboard.metrics().value
    overview = dashboard.overview()
    # The tracker speaks once, in the tracker section; the message holds the rest.
    notes = [*metrics.notes, *overview.notes]
    try:
        if dashboard.sources.ingest_runs is not None:
            ingest = ingest_summary(dashboard)
        else:
            ingest = _ingest_memo.summary(dashboard.settings.ingest_registry_path)
    except OnePieceError as exc:
        ingest = metrics.ingest
        notes.append(f"ingest registry: {exc.message}")
    try:
        render = dashboard.sources.render()
    except OnePieceError as exc:
        render = metrics.render
        notes.append(f"render jobs: {exc.message}")

    review = {row.project: row for row in metrics.review_projects}
    projects = [
        ProjectRow(
            code=entry.project.code,
            name=entry.project.name or entry.project.code,
            shots=entry.shots,
            versions=entry.versions,
            status=entry.status,
            review=review.get(entry.project.code, ReviewProject(entry.project.code)),
        )
        for entry in overview.projects
    ]
    backend = dashboard.settings.tracker_backend
    error = dashboard.registry.state().last_error
    tracker = TrackerState(
        backend=backend,
        available=error is None,
        message=_tracker_message(error, overview.tracker_fallback or metrics.tracker_fallback),
        hint=TRACKER_HINTS.get(backend) if error else None,
    )
    return WorkloadSummary(
        generated_at=now(),
        metrics=metrics,
        ingest=ingest,
        render=render,
        projects=projects,
        tracker=tracker,
        message="; ".join(dict.fromkeys(notes)) or None,
    )
