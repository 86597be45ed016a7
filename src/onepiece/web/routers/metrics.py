"""``GET /metrics``: the dashboard summary (admin token).

A warm request is answered on the event loop from the cached, already
serialised body; anything that may touch the tracker or files runs in a
worker thread.
"""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from onepiece.domain.dashboard import DashboardMetrics
from onepiece.services.dashboard.service import DashboardService
from onepiece.web.deps import AdminAuth
from onepiece.web.schemas import IngestOut, MetricsResponse, RenderOut, ReviewOut, StatusOut

router = APIRouter(tags=["dashboard"])


def metrics_model(metrics: DashboardMetrics) -> MetricsResponse:
    return MetricsResponse(
        status=StatusOut(**asdict(metrics.status)),
        ingest=IngestOut.of(metrics.ingest),
        render=RenderOut(**asdict(metrics.render)),
        review=ReviewOut.of(metrics),
        message=metrics.message,
    )


class _BodyMemo:
    """The JSON body of the last metrics object served, so a warm hit skips serialising."""

    def __init__(self) -> None:
        self._last: tuple[DashboardMetrics, bytes] | None = None

    def body(self, metrics: DashboardMetrics) -> bytes:
        last = self._last
        if last is not None and last[0] is metrics:
            return last[1]
        model = metrics_model(metrics)
        body = model.model_dump_json(exclude={"message"} if model.message is None else None)
        encoded = body.encode()
        self._last = (metrics, encoded)  # one tuple assignment: safe across threads
        return encoded


_memo = _BodyMemo()


@router.get(
    "/metrics",
    response_model=MetricsResponse,
    summary="Dashboard summary: tracker, ingest, render and review figures",
)
async def metrics(request: Request, _auth: AdminAuth) -> Response:
    """Counts from the tracker, ingest runs, render jobs and review playlists.

    ``message`` appears only when some figures are stale or unavailable (for
    example while the tracker is down) and says which.
    """
    # The service straight from the container rather than through DashboardDep: each
    # FastAPI dependency costs more than this whole warm path (bench/dashboard.py).
    dashboard: DashboardService = request.app.state.container.dashboard
    cached = dashboard.cache.get_fresh("metrics", "all")
    value = (
        cached.value if cached is not None else (await run_in_threadpool(dashboard.metrics)).value
    )
    return Response(_memo.body(value), media_type="application/json")
