"""Ingest runs: ``GET /runs`` and ``GET /runs/{id}``, read from the run registry.

CLI ingest processes write the registry; this service only reads it, through
a view memoised by the file's identity (``state.runs_view``), so repeated
lookups (404s included) cost a ``stat``. A watcher thread turns registry
changes into ``run.*`` events for the live streams.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI, Query, Request
from pydantic import BaseModel, ConfigDict

from onepiece.services.ingest.run_feed import RunFeed
from onepiece.state.runs_view import RunRegistryView
from onepiece.web.deps import ReadAuth
from onepiece.web.errors import NotFound
from onepiece.web.redaction import is_anonymous, public_run

router = APIRouter(tags=["runs"])


class RunOut(BaseModel):
    # The registry's own fields (id, project, show, source, started_at,
    # completed_at, status, counts, report...) pass through unchanged.
    model_config = ConfigDict(extra="allow")

    id: str
    status: str | None = None


class RunList(BaseModel):
    runs: list[RunOut]
    stale: bool  # the registry file is malformed right now; these are the last good runs


def _view(request: Request) -> RunRegistryView:
    view: RunRegistryView = request.app.state.runs_view
    return view


@router.get("/runs", response_model=RunList)
def list_runs(
    request: Request,
    role: ReadAuth,
    status: str | None = Query(None, max_length=32, description="running, completed..."),
    limit: int = Query(100, ge=1, le=1000),
) -> dict[str, Any]:
    """Ingest runs, newest first."""
    view = _view(request)
    runs = view.list(status=status, limit=limit)
    shown = [public_run(run) for run in runs] if is_anonymous(role) else runs
    return {"runs": shown, "stale": view.snapshot().stale}


@router.get("/runs/{run_id}", response_model=RunOut)
def get_run(run_id: str, request: Request, role: ReadAuth) -> dict[str, Any]:
    """One ingest run (404 ``resource.not_found``)."""
    run = _view(request).get(run_id)
    if run is None:
        raise NotFound(
            f"no ingest run {run_id!r}",
            hint="GET /runs lists the runs in the registry",
            context={"id": run_id},
        )
    return public_run(run) if is_anonymous(role) else run


def setup(app: FastAPI) -> None:
    container = app.state.container
    view = RunRegistryView(container.settings.ingest_registry_path)
    app.state.runs_view = view
    feeds: list[RunFeed] = []

    def start(_app: FastAPI) -> None:
        feed = RunFeed(view, container.broker)
        feed.start()
        feeds.append(feed)

    def stop(_app: FastAPI) -> None:
        for feed in feeds:
            feed.stop()

    app.state.hooks.on_startup(start)
    app.state.hooks.on_shutdown(stop)
