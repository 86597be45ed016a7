"""Render jobs: submit, list, get, cancel, and keep statuses fresh.

The web service and the CLI share this. A submission is validated against the
farm's capabilities, launched on the farm, then recorded in the history store;
``submit`` returns only once the record is durable. In the web service a
poller thread (off the event loop) refreshes unfinished jobs from their farms.
Events are never published from a write directly: every write lands in the
history's change log, and ``publish_changes`` (after each write of this
process and on every poll) publishes ``job.created`` / ``job.updated`` /
``job.removed`` from that log, so changes other processes (CLI) make reach
the subscribers too, once each and in order.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from onepiece.adapters.farms.base import PreviewsCommands, QueuesJobs
from onepiece.domain.dashboard import metric_status
from onepiece.domain.render import FrameCounts, JobRequest, JobStatus, RenderJob, validate_request
from onepiece.errors import (
    AdapterNotImplemented,
    AdapterUnavailable,
    FarmError,
    FarmNotFound,
    JobNotFound,
    OnePieceError,
)

if TYPE_CHECKING:
    from onepiece.adapters.farms.registry import FarmRegistry
    from onepiece.config.model import RenderSettings
    from onepiece.events import Broker
    from onepiece.state.db.leases import Lease
    from onepiece.state.render_jobs import RenderJobStore

log = logging.getLogger(__name__)

TOPIC = "jobs"
COMPACT_EVERY_SECONDS = 600.0
LOCAL_QUEUE_FARMS = ("local",)


def _now() -> datetime:
    return datetime.now(UTC)


class RenderJobService:
    def __init__(
        self,
        store: RenderJobStore,
        farms: FarmRegistry,
        broker: Broker | None,
        settings: RenderSettings,
        lease: Lease | None = None,
    ) -> None:
        # With a lease, only its holder polls the farms; the others still publish
        # what changed in the history (state.db.leases).
        self.lease = lease
        self.polling = False
        # Called after this process wrote to the history (other workers wake up).
        self.announce: Callable[[], None] | None = None
        self.store = store
        self.farms = farms
        self.broker = broker
        self.default_farm = settings.default_farm
        self.default_chunk_size = settings.default_chunk_size
        self.poll_seconds = settings.poll_seconds
        self._seen_change = store.last_change() if store.damage is None else 0
        self._publish_lock = threading.Lock()
        self._refresh_lock = threading.Lock()  # poller and requests never interleave a job
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_compaction = time.monotonic()
        self.last_poll_at: datetime | None = None
        self.last_poll_error: str | None = None

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

    def submit(self, request: JobRequest, *, job_id: str | None = None) -> RenderJob:
        """``job_id``: the id to record it under (idempotent submits); default random."""
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
        )
        self.store.add(job)
        if isinstance(farm, QueuesJobs):  # recorded first: no runner works on an unknown job
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

    def poll_once(self) -> None:
        """Publish what other processes changed, refresh unfinished jobs from their farms."""
        self.publish_changes()
        for job in self.store.unfinished():
            try:
                self._refresh(job)
            except (AdapterUnavailable, FarmNotFound) as exc:  # every round: not a warning each
                log.debug("farm %s unavailable for job %s: %s", job.farm, job.id, exc.message)
            except FarmError as exc:
                log.warning("refreshing render job %s: %s", job.id, exc.message)
        if time.monotonic() - self._last_compaction > COMPACT_EVERY_SECONDS:
            self.store.prune()
            self._wrote()
            self.store.compact()
            self._last_compaction = time.monotonic()
        self.last_poll_at = _now()

    def _loop(self) -> None:
        while not self._stop.wait(self.poll_seconds):
            try:
                if self._holds_lease():
                    self.poll_once()
                else:
                    self.publish_changes()
                self.last_poll_error = None
            except (OnePieceError, sqlite3.Error, OSError, ValueError) as exc:
                # Keep polling: one bad round (history locked, farm hiccup) is not fatal.
                if str(exc) != self.last_poll_error:  # once per distinct error, not per round
                    log.warning("render job poller: %s", exc)
                self.last_poll_error = str(exc)

    def _holds_lease(self) -> bool:
        holds = self.lease is None or self.lease.try_acquire()
        if holds != self.polling and self.lease is not None:
            log.info("render poller: %s", "polling the farms" if holds else "standing by")
        self.polling = holds
        return holds

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
            if not isinstance(farm, QueuesJobs):
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
                ))  # fmt: skip
                farm.start(farm_job_id)
                adopted += 1
            farm.start("")
        if adopted:
            log.warning("adopted %d render jobs the history did not know (farm folders)", adopted)
        return adopted

    def start(self) -> None:
        """Start the background poller (the web service does; CLI commands do not)."""
        if self._thread is not None or self.store.damage is not None:
            return  # a damaged history is neither read nor written by a poller
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="render-poller", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        if self.lease is not None:
            self.lease.release()
        self.polling = False

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
            "poller": {
                "running": self._thread is not None and self._thread.is_alive(),
                # "polling" the farms, or "standby" while another process holds the lease
                "role": "polling" if self.polling else "standby",
                "interval_seconds": self.poll_seconds,
                "last_poll_at": self.last_poll_at.isoformat() if self.last_poll_at else None,
                "last_error": self.last_poll_error,
            },
        }

    def snapshot(self, limit: int = 500) -> list[dict[str, Any]]:
        return [job.to_dict() for job in self.store.recent(limit=limit)]

    def _wrote(self) -> None:
        self.publish_changes()
        if self.announce is not None:
            self.announce()

    def publish_changes(self) -> None:
        """Publish every change in the history's log since the last one published."""
        if self.broker is None:
            return
        with self._publish_lock:
            while changes := self.store.changes_since(self._seen_change):
                for change in changes:
                    name = f"job.{change.kind}"
                    body = event_job(change.job) if change.job else {"id": change.job_id}
                    body.setdefault("job_id", change.job_id)
                    self.broker.publish(TOPIC, name, {"event": name, "job": body})
                    self._seen_change = change.seq


def event_job(job: RenderJob) -> dict[str, Any]:
    """A job as the stream events carry it: the REST fields plus the published
    documents' names (``job_id``, ``farm_type``, ``request``)."""
    data = job.to_dict()
    data["job_id"] = job.id
    data["farm_type"] = job.farm  # farm names are their adapter types (local, mock, opencue)
    data["request"] = asdict(job.request)
    return data
