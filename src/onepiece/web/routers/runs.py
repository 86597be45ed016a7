"""Ingest runs: ``GET /runs`` and ``GET /runs/{id}``, read from the run registry.

CLI ingest processes write the registry; this service only reads it, through
a view memoised by the file's identity (``state.runs_view``), so repeated
lookups (404s included) cost a ``stat``. A watcher thread turns registry
changes into ``run.*`` events for the live streams.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict

from onepiece.web.deps import ReadAuth, RunsViewDep
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


@router.get("/runs", response_model=RunList)
def list_runs(
    view: RunsViewDep,
    role: ReadAuth,
    status: str | None = Query(None, max_length=32, description="running, completed..."),
    limit: int = Query(100, ge=1, le=1000),
) -> dict[str, Any]:
    """Ingest runs, newest first."""
    runs = view.list(status=status, limit=limit)
    shown = [public_run(run) for run in runs] if is_anonymous(role) else runs
    return {"runs": shown, "stale": view.snapshot().stale}


@router.get("/runs/{run_id}", response_model=RunOut)
def get_run(run_id: str, view: RunsViewDep, role: ReadAuth) -> dict[str, Any]:
    """One ingest run (404 ``resource.not_found``)."""
    run = view.get(run_id)
    if run is None:
        raise NotFound(
            f"no ingest run {run_id!r}",
            hint="GET /runs lists the runs in the registry",
            context={"id": run_id},
        )
    return public_run(run) if is_anonymous(role) else run
