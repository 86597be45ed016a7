"""Live feeds: render jobs and ingest runs, as SSE and over WebSocket.

``GET /jobs/stream`` and ``WS /jobs/ws``: a ``jobs.snapshot`` first, then
``job.created`` / ``job.updated`` / ``job.removed``, each
``{"event": ..., "job": {...}}``. ``GET /runs/stream`` and ``WS /runs/ws``: a
``runs.snapshot``, then ``run.created`` / ``run.updated`` / ``run.removed``,
each ``{"event": ..., "run": {...}}``. Same read policy as the REST routes
(header, or ``?token=`` for browsers). Reconnect with ``Last-Event-ID`` (the
header EventSource sends, or ``?last_event_id=``) to replay what was missed.

This module is listed before ``jobs`` in ROUTER_MODULES so ``/jobs/stream`` is
not taken for a job id.
"""

from __future__ import annotations

from typing import Any, cast

from fastapi import APIRouter, Header, Query, Request, WebSocket
from sse_starlette import EventSourceResponse

from onepiece.web.deps import ReadAuth, Role
from onepiece.web.redaction import is_anonymous
from onepiece.web.stream_redaction import PublicWebSocket, public_sse
from onepiece.web.streaming import (
    SEND_TIMEOUT_SECONDS,
    Snapshot,
    sse_stream,
    websocket_stream,
)

router = APIRouter(tags=["streams"])

SNAPSHOT_LIMIT = 500
_SSE_HEADERS = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}


def _jobs_snapshot(app: Any) -> Snapshot:
    service = app.state.container.render_jobs
    return lambda: {"event": "jobs.snapshot", "jobs": service.snapshot(SNAPSHOT_LIMIT)}


def _runs_snapshot(app: Any) -> Snapshot:
    view = app.state.container.runs_view
    return lambda: {"event": "runs.snapshot", "runs": view.list(limit=SNAPSHOT_LIMIT)}


def _sse(
    request: Request, topic: str, snapshot: Snapshot, last_id: str | None, role: Role | None
) -> Any:
    container = request.app.state.container
    keepalive = container.settings.trafalgar.stream_keepalive_seconds
    events = sse_stream(container.broker, topic, snapshot, last_id, keepalive)
    return EventSourceResponse(
        public_sse(events) if is_anonymous(role) else events,
        ping=0,  # keep-alives come from sse_stream
        send_timeout=SEND_TIMEOUT_SECONDS,
        headers=_SSE_HEADERS,
    )


@router.get("/jobs/stream", response_class=EventSourceResponse)
async def jobs_stream(
    request: Request,
    role: ReadAuth,
    last_event_id: str | None = Header(None, alias="Last-Event-ID"),
    last_event_id_q: str | None = Query(None, alias="last_event_id"),
) -> Any:
    """Server-Sent Events: job snapshot, then job.created/updated/removed."""
    last_id = last_event_id or last_event_id_q
    return _sse(request, "jobs", _jobs_snapshot(request.app), last_id, role)


@router.get("/runs/stream", response_class=EventSourceResponse)
async def runs_stream(
    request: Request,
    role: ReadAuth,
    last_event_id: str | None = Header(None, alias="Last-Event-ID"),
    last_event_id_q: str | None = Query(None, alias="last_event_id"),
) -> Any:
    """Server-Sent Events: ingest run snapshot, then run.created/updated/removed."""
    last_id = last_event_id or last_event_id_q
    return _sse(request, "runs", _runs_snapshot(request.app), last_id, role)


@router.websocket("/jobs/ws")
async def jobs_ws(
    websocket: WebSocket,
    role: ReadAuth,
    last_event_id: str | None = Query(None),
) -> None:
    """WebSocket: the same messages as /jobs/stream, as JSON text frames."""
    broker = websocket.app.state.container.broker
    snapshot = _jobs_snapshot(websocket.app)
    await websocket_stream(_for(websocket, role), broker, "jobs", snapshot, last_event_id)


@router.websocket("/runs/ws")
async def runs_ws(
    websocket: WebSocket,
    role: ReadAuth,
    last_event_id: str | None = Query(None),
) -> None:
    """WebSocket: the same messages as /runs/stream, as JSON text frames."""
    broker = websocket.app.state.container.broker
    snapshot = _runs_snapshot(websocket.app)
    await websocket_stream(_for(websocket, role), broker, "runs", snapshot, last_event_id)


def _for(websocket: WebSocket, role: Role | None) -> WebSocket:
    """The socket itself for token holders; a filtering wrapper for anonymous clients."""
    return cast(WebSocket, PublicWebSocket(websocket)) if is_anonymous(role) else websocket
