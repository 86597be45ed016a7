"""Dashboard figures as pure functions: ingest runs, render jobs, review playlists.

Inputs are plain records already read by the services; nothing here does I/O,
so every rule (what counts as a success, how a failure streak is measured,
how clips and durations add up) is unit-tested on its own.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from onepiece.domain.entities import Playlist, Version


@dataclass(frozen=True)
class IngestRunRecord:
    """The fields of one ingest run the dashboard needs."""

    id: str
    status: str  # running | completed | failed | cancelled
    project: str | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None


@dataclass(frozen=True)
class IngestSummary:
    total: int = 0
    successful: int = 0
    failed: int = 0
    running: int = 0
    last_success_at: datetime | None = None
    failure_streak: int = 0


def summarise_ingest(runs: Iterable[IngestRunRecord]) -> IngestSummary:
    """Counts by outcome, the newest success, and failures in a row since it.

    The streak counts finished runs, newest first, until the first success;
    running and cancelled runs neither extend nor break it.
    """
    ordered = sorted(runs, key=_run_time)
    counts = Counter(run.status for run in ordered)
    successes = [r.completed_at or r.started_at for r in ordered if r.status == "completed"]
    streak = 0
    for run in reversed(ordered):
        if run.status == "completed":
            break
        if run.status == "failed":
            streak += 1
    return IngestSummary(
        total=len(ordered),
        successful=counts["completed"],
        failed=counts["failed"],
        running=counts["running"],
        last_success_at=max((t for t in successes if t is not None), default=None),
        failure_streak=streak,
    )


def _run_time(run: IngestRunRecord) -> tuple[int, datetime | str]:
    moment = run.started_at or run.completed_at
    # Runs without timestamps sort first, by id, so the order stays stable.
    return (0, run.id) if moment is None else (1, moment)


@dataclass(frozen=True)
class RenderSummary:
    jobs: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    by_farm: dict[str, int] = field(default_factory=dict)


# The published /metrics document names a succeeded job "completed".
METRIC_STATUS_NAMES = {"succeeded": "completed"}


def metric_status(status: str) -> str:
    """A job status as ``/metrics`` ``render.by_status`` names it."""
    return METRIC_STATUS_NAMES.get(status, status)


def summarise_render(jobs: Iterable[tuple[str, str]]) -> RenderSummary:
    """Count (status, farm) pairs; a render store may also aggregate in SQL itself."""
    by_status: Counter[str] = Counter()
    by_farm: Counter[str] = Counter()
    for status, farm in jobs:
        by_status[metric_status(status)] += 1
        by_farm[farm] += 1
    return RenderSummary(sum(by_status.values()), dict(by_status), dict(by_farm))


@dataclass(frozen=True)
class ReviewProject:
    project: str
    playlists: int = 0
    clips: int = 0
    shots: int = 0
    duration_seconds: float = 0.0


@dataclass(frozen=True)
class ReviewTotals:
    projects: int = 0
    playlists: int = 0
    clips: int = 0
    shots: int = 0
    duration_seconds: float = 0.0


def review_for_project(
    project: str,
    playlists: Sequence[Playlist],
    versions: Mapping[str, Version | None],
    durations: Mapping[str, float | None],
) -> ReviewProject:
    """Every playlist entry is a clip; shots are distinct; unknown durations add 0.

    ``versions`` and ``durations`` are keyed by version code.
    """
    clips = [code for playlist in playlists for code in playlist.versions]
    shots = {
        version.shot
        for code in clips
        if (version := versions.get(code)) is not None and version.shot
    }
    duration = sum(durations.get(code) or 0.0 for code in clips)
    return ReviewProject(project, len(playlists), len(clips), len(shots), round(duration, 3))


def review_totals(projects: Iterable[ReviewProject]) -> ReviewTotals:
    rows = list(projects)
    return ReviewTotals(
        projects=len(rows),
        playlists=sum(r.playlists for r in rows),
        clips=sum(r.clips for r in rows),
        shots=sum(r.shots for r in rows),
        duration_seconds=round(sum(r.duration_seconds for r in rows), 3),
    )


@dataclass(frozen=True)
class StatusFigures:
    projects: int
    shots: int
    versions: int
    errors: int  # differences found by the last reconciliation


@dataclass(frozen=True)
class DashboardMetrics:
    """Everything ``/metrics`` reports; ``message`` says what is stale or missing."""

    status: StatusFigures
    ingest: IngestSummary
    render: RenderSummary
    review_totals: ReviewTotals
    review_projects: list[ReviewProject]
    message: str | None = None
    notes: tuple[str, ...] = ()  # sources other than the tracker, each once
    tracker_fallback: str | None = None  # what stands in for the tracker while it is down
