"""One project's dashboard, assembled from tracker records (pure).

Statuses go through ``onepiece.domain.status.bucket_totals`` with the
studio's ``status_map``: the same function collapses the overall totals, the
per-project totals and every episode breakdown, so ``APR``, ``apr`` and
``Approved`` always land in the same bucket.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from onepiece.domain.entities import Episode, Shot, Version
from onepiece.domain.status import bucket_for, bucket_totals

NO_EPISODE = "(none)"


@dataclass(frozen=True)
class StatusTotals:
    shots: dict[str, int]
    versions: dict[str, int]


StatusCounts = Mapping[str | None, int] | Iterable[tuple[str | None, int]]


def status_totals(
    shot_status: StatusCounts,
    version_status: StatusCounts,
    status_map: Mapping[str, str] | None = None,
) -> StatusTotals:
    """Raw status counts (from the tracker's aggregates or a listing) into buckets."""
    return StatusTotals(
        shots=bucket_totals(shot_status, status_map),
        versions=bucket_totals(version_status, status_map),
    )


@dataclass(frozen=True)
class EpisodeBreakdown:
    episode: str
    shots: int
    versions: int
    status: StatusTotals


@dataclass(frozen=True)
class PublishedEntry:
    code: str
    shot: str | None
    episode: str | None
    status: str  # canonical bucket
    raw_status: str | None
    created_at: datetime | None
    user: str | None


@dataclass(frozen=True)
class ProjectDashboard:
    project: str
    name: str
    episodes: list[EpisodeBreakdown]
    shots: int
    versions: int
    status: StatusTotals
    latest_published: list[PublishedEntry] = field(default_factory=list)


def build_project_dashboard(
    project: str,
    name: str,
    episodes: Sequence[Episode],
    shots: Sequence[Shot],
    versions: Sequence[Version],
    status_map: Mapping[str, str] | None = None,
    latest: int = 10,
) -> ProjectDashboard:
    """Totals, per-episode breakdowns and the newest versions.

    Shots and versions without an episode are grouped under ``(none)``.
    """
    shot_status: dict[str, Counter[str | None]] = {}
    version_status: dict[str, Counter[str | None]] = {}
    for shot in shots:
        shot_status.setdefault(shot.episode or NO_EPISODE, Counter())[shot.status] += 1
    for version in versions:
        version_status.setdefault(version.episode or NO_EPISODE, Counter())[version.status] += 1

    known = [e.code for e in episodes]
    extra = sorted((set(shot_status) | set(version_status)) - set(known))
    breakdowns = [
        EpisodeBreakdown(
            episode=code,
            shots=sum(shot_status.get(code, Counter()).values()),
            versions=sum(version_status.get(code, Counter()).values()),
            status=status_totals(
                shot_status.get(code, Counter()), version_status.get(code, Counter()), status_map
            ),
        )
        for code in [*known, *extra]
    ]
    all_shots: Counter[str | None] = Counter(s.status for s in shots)
    all_versions: Counter[str | None] = Counter(v.status for v in versions)
    return ProjectDashboard(
        project=project,
        name=name,
        episodes=breakdowns,
        shots=len(shots),
        versions=len(versions),
        status=status_totals(all_shots, all_versions, status_map),
        latest_published=latest_versions(versions, status_map, latest),
    )


def latest_versions(
    versions: Sequence[Version], status_map: Mapping[str, str] | None, limit: int
) -> list[PublishedEntry]:
    """The newest versions by creation time (undated ones last, then by code)."""
    dated = sorted(
        versions,
        key=lambda v: (v.created_at is not None, v.created_at.timestamp() if v.created_at else 0.0),
        reverse=True,
    )
    return [
        PublishedEntry(
            code=v.code,
            shot=v.shot,
            episode=v.episode,
            status=bucket_for(v.status, status_map),
            raw_status=v.status,
            created_at=v.created_at,
            user=v.user,
        )
        for v in dated[: max(limit, 0)]
    ]
