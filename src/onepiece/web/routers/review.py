"""The review page (``/review``) and its routes: Versions with their review media.

- ``GET /review``: the page (read policy; ``?token=`` for browsers).
- ``GET /review/{project}/versions``: newest Versions with their review
  record (rate, timecode, frames), filtered by status, episode or shot.
- ``GET /review/{project}/{code}/thumbnail`` and ``.../proxy``: the stored
  files, with range requests (seeking in ``<video>``) and cache headers; read
  policy, and ``?token=`` since ``<img>`` and ``<video>`` send no header.
- ``POST /review/{project}/{code}/status``: approve or request changes
  (dashboard token); the tracker is updated and a ``version.status`` event is
  published on the ``review`` topic for live pages.

Routes are plain ``def``: tracker and storage calls block.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from pydantic import BaseModel, ConfigDict

from onepiece.bootstrap import Container
from onepiece.services.review import versions as review_service
from onepiece.services.review_media.catalog import media_object, review_list
from onepiece.web.deps import AdminAuth, ContainerDep, ReadAuth
from onepiece.web.routers.pages import _denied, _render
from onepiece.web.upstream import upstream_call

router = APIRouter(tags=["review"])

TOPIC = "review"
# Review media of a Version are rebuilt in place, rarely: cache briefly, revalidate.
MEDIA_CACHE = "private, max-age=300, must-revalidate"
VERDICTS = {"approve": "apr", "changes": "rev"}  # the page's two buttons -> status codes


class StatusBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    verdict: Literal["approve", "changes"]


@router.get("/review", response_class=HTMLResponse, include_in_schema=False)
def review_page(request: Request, project: str | None = Query(None, max_length=64)) -> Response:
    """Review: recent Versions with thumbnails; play, step, approve."""
    denied = _denied(request)
    if denied is not None:
        return denied
    container = request.app.state.container
    chosen = project or container.settings.project or ""
    return _render(request, "review.html", {"title": "Review", "page": "review", "project": chosen})


@router.get("/review/{project}/versions")
async def list_review(
    request: Request,
    project: str,
    container: ContainerDep,
    _auth: ReadAuth,
    status: str | None = Query(None, max_length=64),
    episode: str | None = Query(None, max_length=64),
    shot: str | None = Query(None, max_length=64),
    limit: int = Query(50, ge=1, le=500),
) -> dict[str, Any]:
    """Newest Versions first, each with ``review`` (or null when none was made)."""
    rows = await upstream_call(
        request,
        "tracker",
        lambda: review_list(
            container.tracker,
            container.storage,
            project,
            status=status,
            episode=episode,
            shot=shot,
            limit=limit,
            thumbnail_format=container.settings.review_media.thumbnail_format,
        ),
    )
    return {"project": project, "versions": rows}


# One literal route per kind: a ``{kind}`` parameter would also match
# ``.../status`` and answer its OPTIONS with ``Allow: GET`` instead of POST.
@router.get("/review/{project}/{code}/thumbnail", include_in_schema=False)
def review_thumbnail(project: str, code: str, container: ContainerDep, _auth: ReadAuth) -> Response:
    return _media(project, code, "thumbnail", container)


@router.get("/review/{project}/{code}/proxy", include_in_schema=False)
def review_proxy(project: str, code: str, container: ContainerDep, _auth: ReadAuth) -> Response:
    return _media(project, code, "proxy", container)


def _media(project: str, code: str, kind: str, container: Container) -> Response:
    found = media_object(
        container.tracker,
        container.storage,
        project,
        code,
        kind,
        container.settings.review_media.thumbnail_format,
    )
    headers = {"Cache-Control": MEDIA_CACHE, "X-Content-Type-Options": "nosniff"}
    if found.path is not None:  # local storage: Starlette answers Range with 206
        return FileResponse(found.path, media_type=found.content_type, headers=headers)
    data = container.storage.get_bytes(found.bucket, found.key)
    return Response(data, media_type=found.content_type, headers=headers)


@router.post("/review/{project}/{code}/status")
async def set_review_status(
    request: Request,
    project: str,
    code: str,
    body: StatusBody,
    container: ContainerDep,
    _auth: AdminAuth,
) -> dict[str, Any]:
    """Approve (``apr``) or request changes (``rev``) on Version ``code``."""
    status = VERDICTS[body.verdict]
    (version,) = await upstream_call(
        request,
        "tracker",
        lambda: review_service.set_status(
            container.tracker, project, [code], status, container.settings.status_map
        ),
    )
    row = review_service.version_row(version, container.settings.status_map)
    container.dashboard.cache.forget("trends", project)  # the dashboard's charts see it next
    container.broker.publish(TOPIC, "version.status", {"project": project, "version": row})
    return {"project": project, "version": row}
