"""Render job model: what a submission asks for and what a farm reports back."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class JobStatus(StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    cancelled = "cancelled"

    @property
    def finished(self) -> bool:
        return self in (JobStatus.succeeded, JobStatus.failed, JobStatus.cancelled)


@dataclass(frozen=True)
class JobRequest:
    dcc: str
    scene: str
    frames: str  # frame set, e.g. "1-100,120-130x2"
    output: str
    farm: str = "local"
    priority: int = 50
    chunk_size: int = 10
    user: str | None = None


@dataclass(frozen=True)
class FrameCounts:
    total: int = 0
    waiting: int = 0
    running: int = 0
    succeeded: int = 0
    failed: int = 0
    dead: int = 0


@dataclass(frozen=True)
class FarmJobState:
    """A farm's view of one job, as returned by status() and list()."""

    farm_job_id: str
    status: JobStatus
    frames: FrameCounts = field(default_factory=FrameCounts)
    message: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    # Farm-specific extras (show, shot, layer, host...) for detail views.
    extra: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class FarmCapabilities:
    name: str
    description: str
    priority_min: int
    priority_max: int
    chunking: bool
    cancellation: bool
