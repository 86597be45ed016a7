"""``GET /render/opencue/summary`` and ``/details``: the OpenCue render queue.

Both always answer 200 with ``enabled``/``available`` flags and a message:
OpenCue not configured, its client missing, Cuebot down or too slow, or a
bad ``OPENCUE_HOSTS`` are states for the dashboard to show, not server
errors. Summary uses the read policy; details (users, hosts, job names) needs
the dashboard token. Endpoints are plain ``def`` so the Cuebot query runs in
a worker thread, bounded by ``[opencue] timeout_seconds`` and cached for
``[opencue] cache_seconds`` (services/opencue_status.py).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI
from pydantic import BaseModel

from onepiece.services.render.opencue_status import OpenCueStatusService
from onepiece.web.deps import AdminAuth, OpenCueStatusDep, ReadAuth

router = APIRouter(prefix="/render/opencue", tags=["opencue"])


class QueueSummary(BaseModel):
    cued: int
    running: int
    success: int
    fail: int


class FrameCounters(BaseModel):
    total: int
    waiting: int
    running: int
    succeeded: int
    failed: int
    dead: int


class QueueJobRow(BaseModel):
    job_id: str
    name: str
    show: str | None
    shot: str | None
    layers: list[str] | None
    status: str  # summary bucket: cued, running, success, fail
    job_status: str  # OnePiece status: queued, running, succeeded, failed, cancelled
    state: str  # OpenCue's own job state
    user: str | None
    hosts: list[str]
    priority: int | None
    frames: FrameCounters
    started_at: str | None  # ISO 8601, UTC
    finished_at: str | None


class OpenCueSummary(BaseModel):
    enabled: bool
    available: bool
    summary: QueueSummary
    last_updated: str | None
    source: str
    message: str | None


class OpenCueDetails(OpenCueSummary):
    jobs: list[QueueJobRow]


def setup(app: FastAPI) -> None:
    """Report the OpenCue queue in /health (the container owns and closes the service)."""
    app.state.hooks.health["opencue"] = lambda: opencue_health(app.state.container.opencue_status)


def opencue_health(service: OpenCueStatusService) -> dict[str, Any]:
    """The /health ``opencue`` section (the cached summary, bounded by the Cuebot timeout).

    ``status`` is "unavailable" when OpenCue is configured and Cuebot does not
    answer, which turns /health's own status to "degraded".
    """
    report = service.summary()
    body = report.as_dict()
    status = "ok" if report.available or not report.enabled else "unavailable"
    return {"status": status, **{k: body[k] for k in ("enabled", "available", "message")}}


@router.get("/summary", response_model=OpenCueSummary)
def opencue_summary(service: OpenCueStatusDep, _auth: ReadAuth) -> dict[str, Any]:
    """Job counts per bucket (cued, running, success, fail) for the configured show."""
    return service.summary().as_dict()


@router.get("/details", response_model=OpenCueDetails)
def opencue_details(service: OpenCueStatusDep, _auth: AdminAuth) -> dict[str, Any]:
    """The summary plus one row per job: show, shot, layers, status, user, hosts, frames."""
    return service.details().as_dict(details=True)
