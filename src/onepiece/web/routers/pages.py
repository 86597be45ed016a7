"""The HTML pages: ``/`` (workload dashboard) and ``/operations``.

Server-rendered with Jinja2 from templates shipped inside the package, plus a
little plain JavaScript from ``/static`` (no build step, nothing from a CDN;
the dashboard's charts use uPlot, vendored under ``/static/vendor/uplot``)
that keeps them live from the ``/jobs/stream`` and ``/runs/stream`` feeds and
the read-only JSON routes.

Pages follow the read policy: open by default; with ``TRAFALGAR_READ_TOKEN``
set, a browser passes ``?token=`` (it cannot send headers when following a
link). Without a valid token a page answers 401 with a small HTML form asking
for one, instead of the JSON envelope the API returns. Page routes are plain
``def``: the summary may read the tracker, so it runs in a worker thread.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader, select_autoescape

from onepiece import __version__
from onepiece.services.dashboard.workload import workload_summary
from onepiece.web.deps import DashboardDep, check_read, container_of, presented_token
from onepiece.web.error_table import AuthError, code_for
from onepiece.web.page_format import FILTERS, RENDER_STATUSES, STATUS_BUCKETS
from onepiece.web.routers.summary import summary_model
from onepiece.web.upstream import upstream_call

router = APIRouter(tags=["pages"], include_in_schema=False)

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

# Pages load only our own assets and talk only to this server. No inline
# script: the pages' JavaScript lives in /static, so 'self' is enough.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # Live figures and possibly a token in the URL: never keep a copy.
    "Cache-Control": "no-store",
}


def setup(app: FastAPI) -> None:
    env = Environment(
        loader=PackageLoader("onepiece.web", "templates"),
        autoescape=select_autoescape(default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(FILTERS)
    app.state.page_templates = Jinja2Templates(env=env)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")


def _render(
    request: Request, template: str, context: dict[str, Any], status_code: int = 200
) -> Response:
    templates: Jinja2Templates = request.app.state.page_templates
    base = {
        "root": request.scope.get("root_path", ""),
        "version": __version__,
        "render_statuses": RENDER_STATUSES,
        "status_buckets": STATUS_BUCKETS,
    }
    response = templates.TemplateResponse(
        request, template, {**base, **context}, status_code=status_code
    )
    response.headers.update(SECURITY_HEADERS)
    return response


def _denied(request: Request) -> Response | None:
    """The token page when the read policy refuses this request, else None."""
    settings = container_of(request).settings
    try:
        check_read(settings, presented_token(request, allow_query=True))
    except AuthError as exc:
        code, status = code_for(exc)
        context = {"title": "Token needed", "page": "token", "code": code, "message": exc.message}
        response = _render(request, "token.html", context, status_code=status)
        response.headers["WWW-Authenticate"] = "Bearer"
        return response
    return None


@router.get("/", response_class=HTMLResponse)
async def dashboard_page(request: Request, dashboard: DashboardDep) -> Response:
    """Workload dashboard: ingest, render, OpenCue, review and project figures."""
    denied = _denied(request)
    if denied is not None:
        return denied
    summary = summary_model(
        await upstream_call(request, "tracker", lambda: workload_summary(dashboard))
    )
    return _render(
        request,
        "dashboard.html",
        {
            "title": "Workload",
            "page": "dashboard",
            "s": summary,
            "generated_at": summary.generated_at,
        },
    )


@router.get("/operations", response_class=HTMLResponse)
def operations_page(request: Request) -> Response:
    """Operations: render jobs (cancel with the dashboard token) and ingest runs."""
    denied = _denied(request)
    if denied is not None:
        return denied
    return _render(request, "operations.html", {"title": "Operations", "page": "operations"})
