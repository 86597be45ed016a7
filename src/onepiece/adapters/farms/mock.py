"""The ``mock`` farm: a documented demo adapter that renders nothing.

Opt-in only (``[render] mock_enabled = true`` or ``default_farm = "mock"``):
it is never a silent stand-in for a farm that is missing. A job's lifecycle is
simulated from the clock: queued for ``queue_seconds``, then one frame every
``seconds_per_frame``, then succeeded. A scene whose name contains ``fail``
fails half-way, to demo failures. The simulation is encoded in the farm job id
(submit time and frame count), so any process can report the status of a job
another process submitted; cancellations are remembered by the process that
made them (the job store keeps the cancelled status either way).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import deque
from datetime import UTC, datetime

from onepiece.config import Settings
from onepiece.domain.frames import parse_frames
from onepiece.domain.render import (
    FarmCapabilities,
    FarmJobState,
    FrameCounts,
    JobRequest,
    JobStatus,
)
from onepiece.errors import JobNotFound


class MockFarm:
    name = "mock"

    def __init__(
        self,
        *,
        queue_seconds: float = 1.0,
        seconds_per_frame: float = 0.2,
    ) -> None:
        self.queue_seconds = queue_seconds
        self.seconds_per_frame = seconds_per_frame
        self._cancelled: dict[str, tuple[float, str]] = {}
        self._known: deque[str] = deque(maxlen=10_000)
        self._lock = threading.Lock()

    def capabilities(self) -> FarmCapabilities:
        return FarmCapabilities(
            name=self.name,
            description="simulated lifecycle for demos; renders nothing",
            priority_min=0,
            priority_max=100,
            chunking=False,
            cancellation=True,
        )

    def submit(self, request: JobRequest) -> str:
        total = len(parse_frames(request.frames))
        fails = int("fail" in request.scene.lower())
        farm_job_id = f"mock-{time.time_ns() // 1_000_000}-{total}-{fails}-{uuid.uuid4().hex[:8]}"
        with self._lock:
            self._known.append(farm_job_id)
        return farm_job_id

    @staticmethod
    def _decode(farm_job_id: str) -> tuple[float, int, bool]:
        try:
            _, started_ms, total, fails, _ = farm_job_id.split("-")
            return int(started_ms) / 1000.0, int(total), fails == "1"
        except ValueError as exc:
            raise JobNotFound(f"no mock job {farm_job_id!r}", context={"id": farm_job_id}) from exc

    def status(self, farm_job_id: str) -> FarmJobState:
        submitted, total, fails = self._decode(farm_job_id)
        with self._lock:
            cancelled = self._cancelled.get(farm_job_id)
        now = cancelled[0] if cancelled else time.time()
        elapsed = now - submitted - self.queue_seconds
        done = max(0, min(total, int(elapsed / self.seconds_per_frame))) if elapsed > 0 else 0
        started = _utc(submitted + self.queue_seconds) if elapsed > 0 else None
        limit = total // 2 if fails else total
        done = min(done, limit)
        frames = FrameCounts(total=total, succeeded=done, waiting=total - done)
        message = None
        if cancelled:
            status, message = JobStatus.cancelled, f"cancelled: {cancelled[1]}"
            frames = FrameCounts(total=total, succeeded=done, cancelled=total - done)
        elif elapsed <= 0:
            status = JobStatus.queued
        elif done >= limit and fails:
            status, message = JobStatus.failed, "simulated failure half-way (scene name has 'fail')"
            frames = FrameCounts(total=total, succeeded=done, failed=total - done)
        elif done >= total:
            status = JobStatus.succeeded
        else:
            status = JobStatus.running
            frames = FrameCounts(total=total, succeeded=done, running=1, waiting=total - done - 1)
        finish = submitted + self.queue_seconds + limit * self.seconds_per_frame
        return FarmJobState(
            farm_job_id=farm_job_id,
            status=status,
            frames=frames,
            message=message,
            started_at=started,
            finished_at=_utc(now if cancelled else finish) if status.finished else None,
            extra={"simulated": True},
        )

    def cancel(self, farm_job_id: str, reason: str | None = None) -> None:
        if self.status(farm_job_id).status.finished:
            return
        with self._lock:
            self._cancelled[farm_job_id] = (time.time(), reason or "cancelled by user")

    def list(self) -> list[FarmJobState]:
        with self._lock:
            known = list(self._known)
        return [self.status(farm_job_id) for farm_job_id in known]

    def close(self) -> None:
        return None


def _utc(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def create(settings: Settings) -> MockFarm:
    return MockFarm()
