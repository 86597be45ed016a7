"""Render jobs: submit, list, get, cancel, and keep statuses fresh.

The web service and the CLI share this. A submission is validated against the
farm's capabilities, launched on the farm, then recorded in the history store;
``submit`` returns only once the record is durable. In the web service a
poller thread (services.render.poller) refreshes unfinished jobs from their farms.
Events are never published from a write directly: every write appends its
``job.created`` / ``job.updated`` / ``job.removed`` event to the state
database's event log in the same transaction, and each serve process's event
feed (state.db.event_feed) publishes that log, so changes any process or host
makes reach every subscriber, once each and in order. ``announce`` (after each
write of this process) only wakes the feed early.
"""

from __future__ import annotations

import hashlib
import logging
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from onepiece.adapters.farms.base import PreviewsCommands, queues_jobs
from onepiece.domain.dashboard import metric_status
from onepiece.domain.render import (
    FrameCounts,
    JobRequest,
    JobStatus,
    RenderJob,
    event_job,
    validate_request,
)
from onepiece.errors import AdapterNotImplemented, JobNotFound, OnePieceError
from onepiece.services.render.poller import RenderPoller

if TYPE_CHECKING:
    from onepiece.adapters.farms.registry import FarmRegistry
    from onepiece.config.model import RenderSettings
    from onepiece.state.db.leases import Lease
    from onepiece.state.db.render_history import SqlRenderJobStore

log = logging.getLogger(__name__)

TOPIC = "jobs"
LOCAL_QUEUE_FARMS = ("local",)


def host_identity(farm_root: Path) -> str:
    """Which local farm a job runs on: this machine's name and a digest of the farm
    folder (two installations on one machine are two farms), never the path itself."""
    digest = hashlib.sha256(str(farm_root.resolve()).encode()).hexdigest()[:8]
    return f"{socket.gethostname()}-{digest}"


def _now() -> datetime:
    return datetime.now(UTC)


class RenderJobService:
    def __init__(
        self,
        store: SqlRenderJobStore,
        farms: FarmRegistry,
        settings: RenderSettings,
        lease: Lease | None = None,
        *,
        host: str | None = None,
        local_lease: Lease | None = None,
    ) -> None:
        self.host = host or socket.gethostname()
        # Called after this process wrote to the history: wakes the event feeds.
        self.announce: Callable[[], None] | None = None
        self.store = store
        self.farms = farms
        self.default_farm = settings.default_farm
        self.default_chunk_size = settings.default_chunk_size
        self._refresh_lock = threading.Lock()  # poller and requests never interleave a job
        # Its leases decide which jobs this process polls (services.render.poller).
        self.poller = RenderPoller(self, settings.poll_seconds, lease, local_lease)

    # -- use cases -------------------------------------------------------
    def request(
        self,
        *,
        dcc: str,
        scene: str,
        frames: str,
        output: str,
        farm: str | None = None,
        priority: int = 50,
        chunk_size: int | None = None,
        user: str | None = None,
    ) -> JobRequest:
        """A JobRequest with this installation's defaults filled in."""
        return JobRequest(
            dcc=dcc,
            scene=scene,
            frames=frames,
            output=output,
            farm=farm or self.default_farm,
            priority=priority,
            chunk_size=chunk_size or self.default_chunk_size,
            user=user,
        )

    def submit(
        self,
        request: JobRequest,
        *,
        job_id: str | None = None,
        idempotency_key: str | None = None,
    ) -> RenderJob:
        """``job_id``: the id to record it under (idempotent submits); default random.
        ``idempotency_key``: the claimed key bound to the job as it is recorded."""
        farm = self.farms.get(request.farm)
        count = validate_request(request, farm.capabilities())
        farm_job_id = farm.submit(request)
        now = _now()
        job = RenderJob(
            id=job_id or uuid.uuid4().hex[:12],
            request=request,
            farm_job_id=farm_job_id,
            status=JobStatus.queued,
            submitted_at=now,
            updated_at=now,
            frames=FrameCounts(total=count, waiting=count),
            host=self._host_for(request.farm),
        )
        self.store.add(job, idempotency_key=idempotency_key)
        if queues_jobs(farm):  # recorded first: no runner works on an unknown job
            farm.start(farm_job_id)
        self._wrote()
        return job

    def plan(self, request: JobRequest) -> dict[str, Any]:
        """What ``submit`` would do, without doing it (``--dry-run``)."""
        from onepiece.domain.frames import chunk_frames, parse_frames

        farm = self.farms.get(request.farm)
        count = validate_request(request, farm.capabilities())
        chunks = chunk_frames(parse_frames(request.frames), request.chunk_size)
        plan: dict[str, Any] = {
            "farm": request.farm,
            "frame_count": count,
            "chunks": [{"index": c.index, "frames": c.frame_set, "count": c.count} for c in chunks],
        }
        if isinstance(farm, PreviewsCommands):  # e.g. the local farm: the exact argv per chunk
            plan["chunks"] = farm.preview_commands(request)
        return plan

    def list_jobs(
        self, *, status: str | None = None, farm: str | None = None, limit: int = 100
    ) -> list[RenderJob]:
        return self.store.recent(status=status, farm=farm, limit=limit)

    def page(
        self,
        *,
        status: str | None = None,
        farm: str | None = None,
        limit: int = 100,
        before: int | None = None,
    ) -> tuple[list[RenderJob], int | None]:
        return self.store.page(status=status, farm=farm, limit=limit, before=before)

    def get(self, job_id: str) -> RenderJob:
        job = self.store.get(job_id)
        if job is None:
            raise JobNotFound(
                f"no render job {job_id!r}",
                hint="list the job ids with `onepiece render list` or GET /jobs",
                context={"id": job_id},
            )
        return job

    def refresh(self, job_id: str) -> RenderJob:
        """Ask the farm for the job's latest state now (the CLI's status without a poller)."""
        job = self.get(job_id)
        return job if job.status.finished else self._refresh(job)

    def cancel(self, job_id: str, reason: str | None = None) -> RenderJob:
        job = self.get(job_id)
        if job.status.finished:
            return job
        if not self._owned_here(job):
            return self._forward_cancel(job, reason)
        farm = self.farms.get(job.farm)
        if not farm.capabilities().cancellation:
            raise AdapterNotImplemented(f"farm {job.farm!r} cannot cancel jobs")
        farm.cancel(job.farm_job_id, reason)
        return self._refresh(job)

    def farm_list(self) -> list[dict[str, Any]]:
        return self.farms.describe()

    # -- refresh ---------------------------------------------------------
    def _refresh(self, job: RenderJob) -> RenderJob:
        with self._refresh_lock:
            current = self.store.get(job.id)  # may have moved since the caller read it
            if current is None or current.status.finished:
                return current or job
            return self._refresh_locked(current)

    def _refresh_locked(self, job: RenderJob) -> RenderJob:
        farm = self.farms.get(job.farm)
        try:
            state = farm.status(job.farm_job_id)
        except JobNotFound:
            new = replace(
                job,
                status=JobStatus.failed,
                message=f"farm {job.farm!r} no longer knows job {job.farm_job_id}",
                finished_at=_now(),
                updated_at=_now(),
            )
        else:
            new = job.apply(state, _now())
        if new is not job:
            self.store.update(new)
            self._wrote()
        return new

    def _host_for(self, farm: str) -> str | None:
        """The host a farm's jobs belong to: this one for a farm whose queue lives here."""
        return self.host if farm in LOCAL_QUEUE_FARMS else None

    def _owned_here(self, job: RenderJob) -> bool:
        return job.host is None or job.host == self.host

    def _forward_cancel(self, job: RenderJob, reason: str | None) -> RenderJob:
        """Another host's local job: recorded as asked; its host's poller stops it."""
        asked = reason or "cancelled by user"
        with self._refresh_lock:
            current = self.store.get(job.id) or job
            if current.status.finished or current.cancel_requested:
                return current
            new = replace(current, cancel_requested=asked, updated_at=_now())
            self.store.update(new)
        self._wrote()
        return new

    def poll_once(self, *, shared: bool = True, local: bool = True) -> None:
        """One poller round now (CLI commands have no poller thread): ``RenderPoller.poll_once``."""
        self.poller.poll_once(shared=shared, local=local)

    def adopt_farm_jobs(self) -> int:
        """Record the unfinished jobs farms hold that the history does not know (a
        server killed between a farm submit and its record), so they can be listed
        and cancelled; start runners for queued work. Returns how many were adopted."""
        adopted = 0
        if self.store.damage is not None:
            return 0
        # Only farms whose queue lives on this machine: building the others would
        # contact them (OpenCue) at start, and they keep their own records anyway.
        for name in (n for n in self.farms.names if n in LOCAL_QUEUE_FARMS):
            try:
                farm = self.farms.get(name)
            except OnePieceError:
                continue
            if not queues_jobs(farm):
                continue
            known = self.store.farm_job_ids(name)
            for farm_job_id, request in farm.unrecorded_jobs():
                if farm_job_id in known:
                    farm.start(farm_job_id)  # recorded, but the mark was not written
                    continue
                now = _now()
                self.store.add(RenderJob(
                    id=uuid.uuid4().hex[:12], request=request, farm_job_id=farm_job_id,
                    status=JobStatus.queued, submitted_at=now, updated_at=now,
                    message="adopted at start: its submitter never recorded it",
                    host=self._host_for(name),
                ))  # fmt: skip
                farm.start(farm_job_id)
                adopted += 1
            farm.start("")
        if adopted:
            log.warning("adopted %d render jobs the history did not know (farm folders)", adopted)
        return adopted

    def start(self) -> None:
        """Start the background poller (the web service does; CLI commands do not)."""
        self.poller.start()

    def stop(self) -> None:
        self.poller.stop()

    def close(self) -> None:
        self.stop()
        self.store.close()

    # -- reporting -------------------------------------------------------
    def metrics(self) -> dict[str, Any]:
        """``/metrics`` ``render``: {jobs, by_status, by_farm}, statuses named as the
        published document names them (``completed``)."""
        counts = self.store.counts()
        by_status: dict[str, int] = {}
        for status, count in counts["by_status"].items():
            name = metric_status(status)
            by_status[name] = by_status.get(name, 0) + count
        return {**counts, "by_status": by_status}

    def daily(self, since: float) -> list[tuple[str, str, int]]:
        """Jobs submitted per UTC day and status since ``since``, statuses as ``/metrics``
        names them."""
        rows = self.store.daily_counts(since)
        return [(day, metric_status(status), count) for day, status, count in rows]

    def health(self) -> dict[str, Any]:
        return {
            "history": self.store.stats().to_dict(),
            "poller": self.poller.health(),
        }

    def snapshot(self, limit: int = 500) -> list[dict[str, Any]]:
        return [job.to_dict() for job in self.store.recent(limit=limit)]

    def _wrote(self) -> None:
        if self.announce is not None:
            self.announce()


__all__ = ["RenderJobService", "event_job", "host_identity"]
