"""Ingest runs: ``GET /runs`` and ``GET /runs/{id}``, read from the run registry.

CLI ingest processes write the registry; this service only reads it, through
a view memoised by the file's identity (``state.runs_view``), so repeated
lookups (404s included) cost a ``stat``. A watcher thread turns registry
changes into ``run.*`` events for the live streams.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from onepiece.web.deps import ReadAuth, RunsViewDep
from onepiece.web.error_table import NotFound
from onepiece.web.paging import CURSOR_DESCRIPTION, decode_cursor, encode_cursor, link_next
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
    next_cursor: str | None = Field(
        None, description="only when more follow: pass as ?cursor= for the next page"
    )
    stale: bool  # the registry file is malformed right now; these are the last good runs


@router.get("/runs", response_model=RunList, response_model_exclude_unset=True)
def list_runs(
    request: Request,
    response: Response,
    view: RunsViewDep,
    role: ReadAuth,
    status: str | None = Query(None, max_length=32, description="running, completed..."),
    limit: int = Query(100, ge=1, le=1000),
    cursor: str | None = Query(None, max_length=2000, description=CURSOR_DESCRIPTION),
) -> dict[str, Any]:
    """Ingest runs, newest first; page on with ``next_cursor`` (or the Link header)."""
    after = decode_cursor(cursor, (str, str))
    key = (after[0], after[1]) if after else None
    runs, last = view.page(status=status, limit=limit, after=key)
    shown = [public_run(run) for run in runs] if is_anonymous(role) else runs
    answer: dict[str, Any] = {"runs": shown, "stale": view.snapshot().stale}
    if last is not None:  # only when a next page exists: the answer keeps its old shape
        answer["next_cursor"] = link_next(request, response, encode_cursor(list(last)))
    return answer


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
