"""``GET /health``: liveness, version and backends, plus fields other services contribute.

Read policy (open unless TRAFALGAR_READ_TOKEN is set). It never calls the
tracker: a health check must answer while the tracker is down. Services add
their own section by registering a contributor on ``app.state.hooks.health``;
a contributor that raises one of our errors, or whose section says
``"status": "unavailable"`` or ``"degraded"``, marks the service ``degraded``.
The ``database`` section is the state database's: ``ok`` with its backend
(``sqlite`` or ``postgresql``), or ``degraded`` with the reason.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from pydantic import BaseModel, ConfigDict
from sqlalchemy.exc import SQLAlchemyError

from onepiece import __version__
from onepiece.errors import OnePieceError
from onepiece.web.deps import ReadAuth, SettingsDep
from onepiece.web.redaction import is_anonymous, scrub

log = logging.getLogger("onepiece.web")

router = APIRouter(tags=["health"])
DEGRADING = ("unavailable", "degraded")
STATE_DOWN = "the state database cannot be read or written (see the database section)"


class HealthResponse(BaseModel):
    # Contributors add their own top-level sections (e.g. "render", "projects").
    model_config = ConfigDict(extra="allow")

    status: str
    version: str
    tracker: dict[str, Any]


@router.get("/health", response_model=HealthResponse)
def health(request: Request, settings: SettingsDep, role: ReadAuth) -> dict[str, Any]:
    """Service status; open unless a read token is configured (no paths without a token)."""
    body: dict[str, Any] = {
        "status": "ok",
        "version": __version__,
        "tracker": {"backend": settings.tracker_backend},
    }
    for name, contributor in request.app.state.hooks.health.items():
        try:
            section = contributor()
            body[name] = scrub(section) if is_anonymous(role) else section
        except OnePieceError as exc:
            log.warning("health contributor %s failed: %s", name, exc.message)
            body[name] = {"status": "unavailable", "message": exc.message}
        except SQLAlchemyError as exc:  # the state database is down: say so, do not fail
            reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
            log.warning("health contributor %s: state database failed: %s", name, reason)
            body[name] = {"status": "unavailable", "message": STATE_DOWN}
        except Exception:  # a health check answers whatever one section does
            log.exception("health contributor %s failed", name)
            body[name] = {"status": "unavailable", "message": "failed: see the server log"}
        if isinstance(body[name], dict) and body[name].get("status") in DEGRADING:
            body["status"] = "degraded"
    return body


def setup(app: FastAPI) -> None:
    container = app.state.container

    def database() -> dict[str, Any]:
        return dict(container.state_db.health())

    app.state.hooks.health["database"] = database
    # Which worker answered, of how many (``serve --workers N``).
    workers = container.settings.trafalgar.workers
    app.state.hooks.health["server"] = lambda: {"pid": os.getpid(), "workers": workers}
