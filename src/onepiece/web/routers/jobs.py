"""Render jobs: submit, list, inspect, cancel; and the farms that take them.

Mutations (submit, cancel) need the dashboard token; reads follow the read
policy. Endpoints are plain ``def``: FastAPI runs them in its thread pool, so
the SQLite history and farm calls (subprocesses, pycue) never block the loop.
Whatever waits on a farm (submit, cancel, the farm list) runs in threads too,
but at most a few at once (``web/upstream.py``): a farm that is slow to answer
never takes every request thread from reads and streams.
The poller that keeps statuses fresh starts and stops with the app.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, FastAPI, Header, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from onepiece.domain.render import JobStatus
from onepiece.web.deps import AdminAuth, ContainerDep, ReadAuth, Role
from onepiece.web.paging import CURSOR_DESCRIPTION, decode_cursor, encode_cursor, link_next
from onepiece.web.redaction import is_anonymous, public_job
from onepiece.web.schemas import INTEGRAL, JsonInt
from onepiece.web.upstream import upstream_call

router = APIRouter(tags=["render"])
# Text without NUL: no path or name holds one, and PostgreSQL cannot store it.
NO_NUL = r"^[^\x00]*$"


class JobSubmission(BaseModel):
    # Strict: no booleans for numbers, no numbers for strings.
    model_config = ConfigDict(extra="forbid", strict=True)

    dcc: str = Field(
        min_length=1, max_length=64, pattern=NO_NUL, examples=["builtin", "blender", "maya"]
    )
    scene: str = Field(min_length=1, max_length=4096, pattern=NO_NUL)
    frames: str = Field(min_length=1, max_length=2000, pattern=NO_NUL, examples=["1-100,120-130x2"])
    output: str = Field(
        min_length=1, max_length=4096, pattern=NO_NUL, examples=["/renders/sh010/beauty.####.png"]
    )
    farm: str | None = Field(
        None, max_length=64, pattern=NO_NUL, description="default: render.default_farm"
    )
    priority: JsonInt = 50
    chunk_size: Annotated[int, Field(ge=1, le=100_000), INTEGRAL] | None = Field(
        None, description="frames per task"
    )
    user: str | None = Field(None, max_length=256, pattern=NO_NUL)


class CancelBody(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    reason: str | None = Field(None, max_length=1000, pattern=NO_NUL)


class FrameCountsOut(BaseModel):
    total: int
    waiting: int
    running: int
    succeeded: int
    failed: int
    dead: int
    cancelled: int = 0


class JobOut(BaseModel):
    id: str
    farm: str
    farm_job_id: str
    status: JobStatus
    dcc: str
    scene: str | None = Field(description="null without a valid token (server path)")
    frames: str
    output: str | None = Field(description="null without a valid token (server path)")
    priority: int
    chunk_size: int
    user: str | None
    progress: float = Field(description="percent of frames succeeded")
    frame_counts: FrameCountsOut
    message: str | None
    submitted_at: str
    updated_at: str
    started_at: str | None
    finished_at: str | None
    host: str | None = Field(
        None,
        description="the host whose local farm runs it (only that host checks or stops it); "
        "null for farms every host reaches",
    )
    cancel_requested: str | None = Field(
        None,
        description="a cancel sent through another host, with its reason: the job's host "
        "stops it at its next poll round",
    )


class JobList(BaseModel):
    jobs: list[JobOut]
    next_cursor: str | None = Field(
        None, description="only when more follow: pass as ?cursor= for the next page"
    )


class FarmOut(BaseModel):
    name: str
    available: bool
    message: str | None = None
    description: str | None = None
    priority_min: int | None = None
    priority_max: int | None = None
    chunking: bool | None = None
    cancellation: bool | None = None
    dccs: list[str] | None = Field(
        None, description="renderers found on the farm's machines (the local farm)"
    )
    missing_dccs: list[str] | None = Field(None, description="known renderers not found there")


class FarmList(BaseModel):
    default: str
    farms: list[FarmOut]


@router.post("/jobs", status_code=201, response_model=JobOut)
async def submit_job(
    request: Request,
    body: JobSubmission,
    response: Response,
    container: ContainerDep,
    _auth: AdminAuth,
    idempotency_key: str | None = Header(
        None,
        alias="Idempotency-Key",
        description="retrying with the same key and body returns the job already created",
        # The document says what the service accepts (services/render/idempotent.check_key).
        pattern=r"^[!-~]{1,255}$",
    ),
) -> dict[str, Any]:
    """Submit a render job (dashboard token). 201 with the job once it is recorded;
    200 with the same job for a retry carrying the same ``Idempotency-Key``."""
    service = container.render_jobs
    fields = body.model_dump()
    if idempotency_key is None:
        job = await upstream_call(
            request, "farm", lambda: service.submit(service.request(**fields))
        )
        return job.to_dict()
    from onepiece.services.render.idempotent import submit_once

    # The store is resolved in the thread too: building it may touch the database.
    job, replayed = await upstream_call(
        request,
        "farm",
        lambda: submit_once(service, container.idempotency, idempotency_key, fields),
    )
    if replayed:
        response.status_code = 200
        response.headers["Idempotent-Replayed"] = "true"
    return job.to_dict()


@router.get("/jobs", response_model=JobList, response_model_exclude_unset=True)
def list_jobs(
    request: Request,
    response: Response,
    container: ContainerDep,
    role: ReadAuth,
    status: JobStatus | None = Query(None, description="only jobs in this status"),
    farm: str | None = Query(None, max_length=64, description="only jobs on this farm"),
    limit: int = Query(100, ge=1, le=1000),
    cursor: str | None = Query(None, max_length=200, description=CURSOR_DESCRIPTION),
) -> dict[str, Any]:
    """Render jobs, newest first; page on with ``next_cursor`` (or the Link header)."""
    after = decode_cursor(cursor, (int,))
    jobs, last = container.render_jobs.page(
        status=status.value if status else None,
        farm=farm,
        limit=limit,
        before=after[0] if after else None,
    )
    answer: dict[str, Any] = {"jobs": [_shown(job.to_dict(), role) for job in jobs]}
    if last is not None:  # only when a next page exists: the answer keeps its old shape
        answer["next_cursor"] = link_next(request, response, encode_cursor([last]))
    return answer


@router.get("/jobs/{job_id}", response_model=JobOut)
def get_job(job_id: str, container: ContainerDep, role: ReadAuth) -> dict[str, Any]:
    """One render job (404 ``render.job_not_found``)."""
    return _shown(container.render_jobs.get(job_id).to_dict(), role)


def _shown(job: dict[str, Any], role: Role | None) -> dict[str, Any]:
    return public_job(job) if is_anonymous(role) else job


async def _cancel(
    request: Request, container: ContainerDep, job_id: str, reason: str | None
) -> dict[str, Any]:
    service = container.render_jobs
    reason = reason or "cancelled via the API"
    job = await upstream_call(request, "farm", lambda: service.cancel(job_id, reason))
    return job.to_dict()


@router.post("/jobs/{job_id}/cancel", response_model=JobOut)
async def cancel_job(
    request: Request,
    job_id: str,
    container: ContainerDep,
    _auth: AdminAuth,
    body: CancelBody | None = Body(None),
) -> dict[str, Any]:
    """Cancel a job on its farm (dashboard token); a finished job is returned unchanged."""
    return await _cancel(request, container, job_id, body.reason if body else None)


@router.delete("/jobs/{job_id}", response_model=JobOut)
async def delete_job(
    request: Request,
    job_id: str,
    container: ContainerDep,
    _auth: AdminAuth,
    reason: str | None = Query(None, max_length=1000),
) -> dict[str, Any]:
    """Same as ``POST /jobs/{id}/cancel``: the job stays in the history as cancelled."""
    return await _cancel(request, container, job_id, reason)


@router.get("/farms", response_model=FarmList, response_model_exclude_unset=True)
async def list_farms(request: Request, container: ContainerDep, _auth: ReadAuth) -> dict[str, Any]:
    """Configured farms with their capabilities, or why they are unavailable."""
    farms = await upstream_call(request, "farm", container.render_jobs.farm_list)
    return {"default": container.settings.render.default_farm, "farms": farms}


def setup(app: FastAPI) -> None:
    """Start the status poller with the app; report history and poller in /health."""
    container = app.state.container
    hooks = app.state.hooks
    # Open the history now, before the server listens: a refused file stops the
    # start in one line, a damaged one is reported (and served degraded) first;
    # jobs the farms hold that it never recorded are adopted (and reported).
    container.render_jobs.adopt_farm_jobs()

    def start(_app: FastAPI) -> None:
        container.render_jobs.start()  # opening the history prunes and compacts it

    def stop(_app: FastAPI) -> None:
        if "render_jobs" in container.__dict__:
            container.render_jobs.stop()

    hooks.on_startup(start)
    hooks.on_shutdown(stop)

    def health() -> dict[str, Any]:
        return {**container.render_jobs.health(), "streams": container.broker.stats("jobs")}

    hooks.health["render"] = health
