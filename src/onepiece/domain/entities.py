"""Tracker entities as plain dataclasses, the same for every tracker adapter.

Entities are identified by natural keys (project code + entity code), never by
a tracker's numeric id, so the local tracker and ShotGrid are interchangeable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Project:
    code: str
    name: str = ""
    archived: bool = False


@dataclass(frozen=True)
class Episode:
    project: str
    code: str


@dataclass(frozen=True)
class Sequence:
    """A sequence (called a scene in delivery names)."""

    project: str
    code: str
    episode: str | None = None


@dataclass(frozen=True)
class Shot:
    project: str
    code: str
    sequence: str | None = None
    episode: str | None = None
    status: str | None = None
    cut_in: int | None = None
    cut_out: int | None = None
    description: str | None = None


@dataclass(frozen=True)
class Asset:
    project: str
    code: str
    asset_type: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class Version:
    project: str
    code: str  # e.g. FG_ep010_sc02_0010_comp_v004
    shot: str | None = None
    sequence: str | None = None
    episode: str | None = None
    asset: str | None = None
    status: str | None = None
    path: str | None = None  # storage URI of the media (file or sequence pattern)
    frame_first: int | None = None
    frame_last: int | None = None
    frame_range: str | None = None  # fileseq frame set, e.g. "1001-1010,1012-1020"
    checksum: str | None = None  # "algo:hexdigest"
    size: int | None = None
    user: str | None = None
    description: str | None = None
    created_at: datetime | None = None
    duration_seconds: float | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Playlist:
    project: str
    code: str
    description: str | None = None
    versions: tuple[str, ...] = ()  # version codes, in order
    created_at: datetime | None = None


@dataclass(frozen=True)
class PublishedFile:
    project: str
    code: str
    path: str
    version: str | None = None  # version code
    file_type: str | None = None
    checksum: str | None = None
    size: int | None = None


@dataclass(frozen=True)
class ShotSpec:
    """One row of a show setup: the hierarchy a shot needs."""

    episode: str | None
    sequence: str | None
    shot: str
    asset: str | None = None
    cut_in: int | None = None
    cut_out: int | None = None
    description: str | None = None
    status: str | None = None
    # Tracker task template for a new shot (ShotGrid TaskTemplate code); trackers
    # without task templates ignore it.
    task_template: str | None = None


@dataclass
class HierarchyResult:
    """What a bulk ensure created and what already existed, per entity type."""

    created: dict[str, list[str]] = field(default_factory=dict)
    existing: dict[str, list[str]] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)  # "Shot:CODE" -> reason

    def add(self, kind: str, code: str, created: bool) -> None:
        bucket = self.created if created else self.existing
        bucket.setdefault(kind, []).append(code)

    @property
    def created_count(self) -> int:
        return sum(len(codes) for codes in self.created.values())

    @property
    def existing_count(self) -> int:
        return sum(len(codes) for codes in self.existing.values())


@dataclass(frozen=True)
class TrackerCounts:
    """Aggregates for dashboards, computed by the tracker (in SQL where it can)."""

    projects: int
    episodes: int
    sequences: int
    shots: int
    versions: int
    version_status: dict[str, int]  # raw status code -> count
    shot_status: dict[str, int]
