"""Render job model: what a submission asks for and what a farm reports back."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from onepiece.errors import ValidationError


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
    dead: int = 0  # the farm gave up on them (OpenCue "dead"): a failure
    cancelled: int = 0  # not rendered because the job was cancelled

    def to_dict(self) -> dict[str, int]:
        # By hand: dataclasses.asdict deep-copies field by field, a few percent of
        # every submit's CPU (docs/benchmarks.md).
        return {
            "total": self.total,
            "waiting": self.waiting,
            "running": self.running,
            "succeeded": self.succeeded,
            "failed": self.failed,
            "dead": self.dead,
            "cancelled": self.cancelled,
        }


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
    # DCCs this farm can render now, and those it knows but whose renderer is missing
    # (None: the farm does not say, e.g. OpenCue decides per host).
    dccs: tuple[str, ...] | None = None
    missing_dccs: tuple[str, ...] = ()


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _parse_time(value: object) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


@dataclass(frozen=True)
class RenderJob:
    """One submission as OnePiece records it: our id, the request, the farm's view."""

    id: str
    request: JobRequest
    farm_job_id: str
    status: JobStatus
    submitted_at: datetime
    updated_at: datetime
    frames: FrameCounts = field(default_factory=FrameCounts)
    message: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    # The local farm that runs it (``<hostname>-<farm folder hash>``): only that
    # host can check or stop it. None for farms every host reaches (OpenCue).
    host: str | None = None
    # A cancel asked through another host, with its reason: the owner carries it out.
    cancel_requested: str | None = None

    @property
    def farm(self) -> str:
        return self.request.farm

    def apply(self, state: FarmJobState, now: datetime) -> RenderJob:
        """This job updated with the farm's latest view (unchanged if nothing moved)."""
        new = replace(
            self,
            status=state.status,
            frames=state.frames,
            message=state.message,
            started_at=state.started_at or self.started_at,
            finished_at=state.finished_at or self.finished_at,
        )
        if new == self:
            return self
        return replace(new, updated_at=now)

    def to_dict(self) -> dict[str, Any]:
        frames = self.frames.to_dict()
        total = frames["total"] or 1
        return {
            "id": self.id,
            "farm": self.request.farm,
            "farm_job_id": self.farm_job_id,
            "status": self.status.value,
            "dcc": self.request.dcc,
            "scene": self.request.scene,
            "frames": self.request.frames,
            "output": self.request.output,
            "priority": self.request.priority,
            "chunk_size": self.request.chunk_size,
            "user": self.request.user,
            "progress": round(100.0 * frames["succeeded"] / total, 1),
            "frame_counts": frames,
            "message": self.message,
            "submitted_at": _iso(self.submitted_at),
            "updated_at": _iso(self.updated_at),
            "started_at": _iso(self.started_at),
            "finished_at": _iso(self.finished_at),
            **({"host": self.host} if self.host else {}),
            **({"cancel_requested": self.cancel_requested} if self.cancel_requested else {}),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RenderJob:
        request = JobRequest(
            dcc=data["dcc"],
            scene=data["scene"],
            frames=data["frames"],
            output=data["output"],
            farm=data["farm"],
            priority=data["priority"],
            chunk_size=data["chunk_size"],
            user=data.get("user"),
        )
        submitted = _parse_time(data["submitted_at"])
        if submitted is None:
            raise ValueError(f"render job {data.get('id')!r} has no submitted_at")
        updated = _parse_time(data.get("updated_at"))
        return cls(
            id=data["id"],
            request=request,
            farm_job_id=data["farm_job_id"],
            status=JobStatus(data["status"]),
            submitted_at=submitted,
            updated_at=updated or submitted,
            frames=FrameCounts(**data.get("frame_counts", {})),
            message=data.get("message"),
            started_at=_parse_time(data.get("started_at")),
            finished_at=_parse_time(data.get("finished_at")),
            host=data.get("host"),
            cancel_requested=data.get("cancel_requested"),
        )


def validate_request(request: JobRequest, capabilities: FarmCapabilities) -> int:
    """Refuse a request the farm cannot take; return its frame count."""
    from onepiece.domain.frames import parse_frames

    for name in ("dcc", "scene", "output"):
        if not str(getattr(request, name)).strip():
            raise ValidationError(f"{name} is required", context={"field": name})
    low, high = capabilities.priority_min, capabilities.priority_max
    if not low <= request.priority <= high:
        raise ValidationError(
            f"priority {request.priority} is outside {capabilities.name}'s range {low}-{high}",
            context={"field": "priority"},
        )
    if request.chunk_size < 1:
        raise ValidationError(
            f"chunk size must be at least 1, not {request.chunk_size}",
            context={"field": "chunk_size"},
        )
    return len(parse_frames(request.frames))


def event_job(job: RenderJob) -> dict[str, Any]:
    """A job as the stream events carry it: the REST fields plus the published
    documents' names (``job_id``, ``farm_type``, ``request``)."""
    data = job.to_dict()
    data["job_id"] = job.id
    data["farm_type"] = job.farm  # farm names are their adapter types (local, mock, opencue)
    data["request"] = asdict(job.request)
    return data
