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

from typing import Any

from fastapi import APIRouter, Header, Query, Request, WebSocket
from sse_starlette import EventSourceResponse

from onepiece.web.deps import ReadAuth
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
    view = app.state.runs_view
    return lambda: {"event": "runs.snapshot", "runs": view.list(limit=SNAPSHOT_LIMIT)}


def _sse(request: Request, topic: str, snapshot: Snapshot, last_id: str | None) -> Any:
    container = request.app.state.container
    keepalive = container.settings.trafalgar.stream_keepalive_seconds
    return EventSourceResponse(
        sse_stream(container.broker, topic, snapshot, last_id, keepalive),
        ping=0,  # keep-alives come from sse_stream
        send_timeout=SEND_TIMEOUT_SECONDS,
        headers=_SSE_HEADERS,
    )


@router.get("/jobs/stream", response_class=EventSourceResponse)
async def jobs_stream(
    request: Request,
    _auth: ReadAuth,
    last_event_id: str | None = Header(None, alias="Last-Event-ID"),
    last_event_id_q: str | None = Query(None, alias="last_event_id"),
) -> Any:
    """Server-Sent Events: job snapshot, then job.created/updated/removed."""
    return _sse(request, "jobs", _jobs_snapshot(request.app), last_event_id or last_event_id_q)


@router.get("/runs/stream", response_class=EventSourceResponse)
async def runs_stream(
    request: Request,
    _auth: ReadAuth,
    last_event_id: str | None = Header(None, alias="Last-Event-ID"),
    last_event_id_q: str | None = Query(None, alias="last_event_id"),
) -> Any:
    """Server-Sent Events: ingest run snapshot, then run.created/updated/removed."""
    return _sse(request, "runs", _runs_snapshot(request.app), last_event_id or last_event_id_q)


@router.websocket("/jobs/ws")
async def jobs_ws(
    websocket: WebSocket,
    _auth: ReadAuth,
    last_event_id: str | None = Query(None),
) -> None:
    """WebSocket: the same messages as /jobs/stream, as JSON text frames."""
    broker = websocket.app.state.container.broker
    await websocket_stream(websocket, broker, "jobs", _jobs_snapshot(websocket.app), last_event_id)


@router.websocket("/runs/ws")
async def runs_ws(
    websocket: WebSocket,
    _auth: ReadAuth,
    last_event_id: str | None = Query(None),
) -> None:
    """WebSocket: the same messages as /runs/stream, as JSON text frames."""
    broker = websocket.app.state.container.broker
    await websocket_stream(websocket, broker, "runs", _runs_snapshot(websocket.app), last_event_id)
