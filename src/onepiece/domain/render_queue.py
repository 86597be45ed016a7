"""Render queue views: how a farm's jobs collapse into dashboard buckets.

The render queue summary shows four buckets: ``cued`` (waiting for a host),
``running``, ``success`` and ``fail``. A killed job did not deliver its
frames, so it counts as ``fail`` (the details view keeps the exact status).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from onepiece.domain.render import FrameCounts, JobStatus

QUEUE_BUCKETS = ("cued", "running", "success", "fail")

_BUCKET_FOR_STATUS = {
    JobStatus.queued: "cued",
    JobStatus.running: "running",
    JobStatus.succeeded: "success",
    JobStatus.failed: "fail",
    JobStatus.cancelled: "fail",
}


def queue_bucket(status: JobStatus) -> str:
    """The summary bucket a job status counts under."""
    return _BUCKET_FOR_STATUS[status]


def summarise(statuses: Iterable[JobStatus]) -> dict[str, int]:
    """Count statuses per summary bucket (every bucket present)."""
    totals = dict.fromkeys(QUEUE_BUCKETS, 0)
    for status in statuses:
        totals[queue_bucket(status)] += 1
    return totals


def utc_from_epoch(seconds: float | int | None) -> datetime | None:
    """Farm timestamps are epoch seconds where 0 means "not yet"."""
    if not seconds or seconds <= 0:
        return None
    return datetime.fromtimestamp(seconds, tz=UTC)


def iso_utc(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with a ``Z`` suffix; naive datetimes are taken as UTC."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class QueueJob:
    """One job as the render queue details view shows it."""

    job_id: str
    name: str
    status: JobStatus
    raw_state: str
    frames: FrameCounts
    show: str | None = None
    shot: str | None = None
    layers: tuple[str, ...] | None = None  # None: not looked up
    user: str | None = None
    hosts: tuple[str, ...] = ()
    priority: int | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None

    @property
    def bucket(self) -> str:
        return queue_bucket(self.status)

    def as_dict(self) -> dict[str, object]:
        return {
            "job_id": self.job_id,
            "name": self.name,
            "show": self.show,
            "shot": self.shot,
            "layers": list(self.layers) if self.layers is not None else None,
            "status": self.bucket,
            "job_status": self.status.value,
            "state": self.raw_state,
            "user": self.user,
            "hosts": list(self.hosts),
            "priority": self.priority,
            "frames": {
                "total": self.frames.total,
                "waiting": self.frames.waiting,
                "running": self.frames.running,
                "succeeded": self.frames.succeeded,
                "failed": self.frames.failed,
                "dead": self.frames.dead,
            },
            "started_at": iso_utc(self.started_at),
            "finished_at": iso_utc(self.finished_at),
        }
