"""``GET /projects`` and ``GET /projects/{project}``: the project registry and dashboards.

Read policy. Both are cached like /metrics and keep answering from the cache
(with a ``message``) while the tracker is down. Plain ``def`` routes: FastAPI
runs them in a worker thread, so tracker calls never block the event loop.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, FastAPI, Request

from onepiece.domain.project_dashboard import StatusTotals
from onepiece.web.deps import DashboardDep, ReadAuth
from onepiece.web.redaction import is_anonymous
from onepiece.web.schemas import (
    EpisodeOut,
    ProjectDashboardResponse,
    ProjectEntryOut,
    ProjectsResponse,
    PublishedOut,
    StatusTotalsOut,
)
from onepiece.web.upstream import upstream_call

router = APIRouter(tags=["dashboard"])


def setup(app: FastAPI) -> None:
    """Report the project registry in /health."""

    def registry_health() -> dict[str, Any]:
        state = app.state.container.dashboard.registry.state()
        return {
            # The tracker is down: /health says "degraded" while the file serves the list.
            "status": "unavailable" if state.last_error else "ok",
            "count": len(state.projects),
            "source": state.source,
            "synced_at": state.synced_at.isoformat() if state.synced_at else None,
            "last_error": state.last_error,
        }

    app.state.hooks.health["projects"] = registry_health


def _status(totals: StatusTotals) -> StatusTotalsOut:
    return StatusTotalsOut(shots=totals.shots, versions=totals.versions)


@router.get("/projects", response_model=ProjectsResponse, response_model_exclude_none=False)
async def list_projects(
    request: Request, dashboard: DashboardDep, _auth: ReadAuth
) -> ProjectsResponse:
    """Projects from configuration and the tracker, with status totals per project and overall."""
    overview = await upstream_call(request, "tracker", dashboard.overview)
    return ProjectsResponse(
        projects=[
            ProjectEntryOut(
                **asdict(entry.project),
                shots=entry.shots,
                versions=entry.versions,
                status=_status(entry.status) if entry.status else None,
            )
            for entry in overview.projects
        ],
        status=_status(overview.status) if overview.status else None,
        synced_at=overview.synced_at,
        source=overview.source,
        message=overview.message,
    )


@router.get(
    "/projects/{project}",
    response_model=ProjectDashboardResponse,
    responses={404: {"description": "Unknown project (code tracker.not_found)"}},
)
async def project_dashboard(
    request: Request, project: str, dashboard: DashboardDep, role: ReadAuth
) -> ProjectDashboardResponse:
    """Episodes, shots, versions, status totals and the latest published versions."""
    found, message = await upstream_call(request, "tracker", lambda: dashboard.project(project))
    data = found.value
    return ProjectDashboardResponse(
        project=data.project,
        name=data.name,
        episodes=[
            EpisodeOut(
                episode=e.episode, shots=e.shots, versions=e.versions, status=_status(e.status)
            )
            for e in data.episodes
        ],
        shots=data.shots,
        versions=data.versions,
        status=_status(data.status),
        latest_published=[
            PublishedOut(**{**asdict(p), "user": None if is_anonymous(role) else p.user})
            for p in data.latest_published
        ],
        fetched_at=found.fetched_at,
        message=message,
    )
