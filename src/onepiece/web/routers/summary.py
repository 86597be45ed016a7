"""``GET /summary``: the workload figures the dashboard page shows (read policy).

The same counts as ``/metrics`` (which needs the dashboard token) plus the
per-project breakdown and the tracker's reachability, for pages and wall
displays that only hold a read token. Ingest and render counts are read fresh
on every call; tracker and review figures come from the dashboard caches
(services/workload.py). A plain ``def`` route: FastAPI runs it in a worker
thread, so tracker and file reads never block the event loop.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from fastapi import APIRouter, Request
from pydantic import Field

from onepiece.services.dashboard.workload import WorkloadSummary, workload_summary
from onepiece.web.deps import DashboardDep, ReadAuth
from onepiece.web.schemas import (
    IngestOut,
    RenderOut,
    ReviewOut,
    ReviewProjectOut,
    Schema,
    StatusOut,
    StatusTotalsOut,
)
from onepiece.web.upstream import upstream_call

router = APIRouter(tags=["dashboard"])


class TrackerOut(Schema):
    backend: str
    available: bool
    message: str | None = None
    hint: str | None = Field(None, description="What to check or set when it is unreachable.")


class ProjectRowOut(Schema):
    code: str
    name: str
    shots: int | None
    versions: int | None
    status: StatusTotalsOut | None
    review: ReviewProjectOut


class SummaryResponse(Schema):
    generated_at: datetime
    status: StatusOut
    ingest: IngestOut
    render: RenderOut
    review: ReviewOut
    projects: list[ProjectRowOut]
    tracker: TrackerOut
    message: str | None = Field(
        None, description="Present when some figures are stale or unavailable, and why."
    )


def summary_model(summary: WorkloadSummary) -> SummaryResponse:
    metrics = summary.metrics
    return SummaryResponse(
        generated_at=summary.generated_at,
        status=StatusOut(**asdict(metrics.status)),
        ingest=IngestOut.of(summary.ingest),
        render=RenderOut(**asdict(summary.render)),
        review=ReviewOut.of(metrics),
        projects=[
            ProjectRowOut(
                code=row.code,
                name=row.name,
                shots=row.shots,
                versions=row.versions,
                status=StatusTotalsOut(**asdict(row.status)) if row.status else None,
                review=ReviewProjectOut(**asdict(row.review)),
            )
            for row in summary.projects
        ],
        tracker=TrackerOut(**asdict(summary.tracker)),
        message=summary.message,
    )


@router.get(
    "/summary",
    response_model=SummaryResponse,
    summary="Workload summary for the dashboard page (read token)",
)
async def get_summary(
    request: Request, dashboard: DashboardDep, _auth: ReadAuth
) -> SummaryResponse:
    """Ingest, render, review and project figures, with a per-project breakdown.

    Open unless ``TRAFALGAR_READ_TOKEN`` is set. ``tracker.available`` is false,
    with a ``hint`` naming what to check, while the tracker cannot be reached.
    """
    return summary_model(
        await upstream_call(request, "tracker", lambda: workload_summary(dashboard))
    )
