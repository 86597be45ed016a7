"""``GET /summary/trends``: the dashboard's charts and latest thumbnails (read policy).

Per UTC day over the last ``days``: ingest runs by outcome and the bytes and
files they planned, render jobs by outcome, Versions created by status
bucket; and the newest Versions of the dashboard's projects, each with the
``/review`` route of its thumbnail (never where the file lives). Ingest and
render figures are read fresh (a memoised file, one SQL aggregate); the
tracker's through the dashboard cache (services/dashboard/trends.py).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from pydantic import Field

from onepiece.domain.dashboard_trends import MAX_DAYS, DailySeries
from onepiece.services.dashboard.trends import DEFAULT_DAYS, LatestVersion, dashboard_trends
from onepiece.web.deps import ContainerDep, ReadAuth
from onepiece.web.redaction import is_anonymous, scrub_text
from onepiece.web.schemas import Schema
from onepiece.web.upstream import upstream_call

router = APIRouter(tags=["dashboard"])


class SeriesOut(Schema):
    days: list[str] = Field(description="UTC days, oldest first (ISO dates).")
    series: dict[str, list[int]] = Field(description="One count per day for each series.")


class LatestOut(Schema):
    project: str
    code: str
    status: str | None
    bucket: str
    shot: str | None
    created_at: datetime | None
    thumbnail_url: str | None = Field(
        None, description="The /review route of its thumbnail; null when none was made."
    )


class TrendsResponse(Schema):
    generated_at: datetime
    days: list[str]
    ingest_runs: SeriesOut = Field(description="Runs started per day by outcome.")
    ingest_volume: SeriesOut = Field(description="Bytes and files planned by those runs.")
    render: SeriesOut = Field(description="Render jobs submitted per day by outcome.")
    versions: SeriesOut = Field(description="Versions created per day by status bucket.")
    latest: list[LatestOut] = Field(description="Newest Versions of the dashboard's projects.")
    message: str | None = Field(
        None, description="Present when some figures are stale or unavailable, and why."
    )


def _series(value: DailySeries) -> SeriesOut:
    return SeriesOut(**asdict(value))


def _latest(item: LatestVersion) -> LatestOut:
    url = None
    if item.thumbnail:
        url = f"/review/{quote(item.project, safe='')}/{quote(item.code, safe='')}/thumbnail"
    return LatestOut(
        project=item.project,
        code=item.code,
        status=item.status,
        bucket=item.bucket,
        shot=item.shot,
        created_at=item.created_at,
        thumbnail_url=url,
    )


@router.get(
    "/summary/trends",
    response_model=TrendsResponse,
    summary="Daily trends and the latest Versions for the dashboard charts (read token)",
)
async def get_trends(
    request: Request,
    container: ContainerDep,
    role: ReadAuth,
    days: int = Query(DEFAULT_DAYS, ge=1, le=MAX_DAYS, description="How many UTC days."),
) -> TrendsResponse:
    """Open unless ``TRAFALGAR_READ_TOKEN`` is set; no server paths in the answer."""
    trends = await upstream_call(
        request,
        "tracker",
        lambda: dashboard_trends(
            container.dashboard, lambda: container.tracker, lambda: container.storage, days
        ),
    )
    return TrendsResponse(
        generated_at=trends.generated_at,
        days=trends.days,
        ingest_runs=_series(trends.ingest_runs),
        ingest_volume=_series(trends.ingest_volume),
        render=_series(trends.render),
        versions=_series(trends.versions),
        latest=[_latest(item) for item in trends.latest],
        message=scrub_text(trends.message)
        if trends.message and is_anonymous(role)
        else trends.message,
    )
