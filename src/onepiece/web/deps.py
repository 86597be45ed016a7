"""Dependencies shared by every router: auth policies and typed services from the container.

Auth policy (docs/api.md#authentication):

- ``AdminAuth``: ``/metrics``, ``/admin/*`` and every mutation. Needs
  ``Authorization: Bearer <TRAFALGAR_DASHBOARD_TOKEN>``. 503
  ``auth.not_configured`` when no dashboard token is configured, 401 when the
  token is missing or wrong.
- ``ReadAuth``: read-only routes. Open while ``TRAFALGAR_READ_TOKEN`` is
  unset; once set, the read token or the dashboard token is required. A
  presented token is always checked: a wrong one is 401 even on an open route.
  The role (``None`` when anonymous) decides whether paths and user names show.

Both work for HTTP and WebSocket routes. Browsers cannot set headers on a
WebSocket or an ``EventSource``, so read routes and WebSocket connections
also accept the token as a ``token`` query parameter (``onepiece serve``
redacts it from the access log). Admin HTTP routes take the header only.
Tokens are compared in constant time and never logged.
"""

from __future__ import annotations

import hmac
from typing import Annotated, Literal

from fastapi import Depends
from fastapi.openapi.models import HTTPBearer as HTTPBearerModel
from fastapi.security.base import SecurityBase
from pydantic import SecretStr
from starlette.requests import HTTPConnection

from onepiece.bootstrap import Container
from onepiece.config import Settings
from onepiece.events import Broker
from onepiece.services.dashboard.service import DashboardService
from onepiece.services.delivery.manifests import DeliveryManifests
from onepiece.services.render.opencue_status import OpenCueStatusService
from onepiece.state.runs_view import RunRegistryView
from onepiece.web.error_table import AuthNotConfigured, InvalidToken, MissingToken

TOKEN_QUERY_PARAM = "token"

Role = Literal["admin", "read"]


def presented_token(conn: HTTPConnection, *, allow_query: bool) -> str | None:
    """The bearer token a client sent, from the header or (where allowed) the query."""
    header = conn.headers.get("authorization")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
        return ""  # present but malformed: treated as a wrong token, not a missing one
    if allow_query or conn.scope.get("type") == "websocket":
        return conn.query_params.get(TOKEN_QUERY_PARAM)
    return None


def _matches(presented: str, expected: SecretStr | None) -> bool:
    if expected is None:
        return False
    return hmac.compare_digest(presented.encode(), expected.get_secret_value().encode())


def check_admin(settings: Settings, presented: str | None) -> Role:
    """Raise the right auth error unless ``presented`` is the dashboard token."""
    expected = settings.trafalgar.dashboard_token
    if expected is None:
        raise AuthNotConfigured(
            "this route needs a dashboard token and none is configured",
            hint="set TRAFALGAR_DASHBOARD_TOKEN on the server",
        )
    if presented is None:
        raise MissingToken(
            "missing bearer token", hint="send 'Authorization: Bearer <dashboard token>'"
        )
    if not _matches(presented, expected):
        raise InvalidToken("invalid bearer token")
    return "admin"


def check_read(settings: Settings, presented: str | None) -> Role | None:
    """Open unless a read token is configured; then the read or dashboard token.

    A token that is presented is always checked, open or not: a wrong one is
    401, never silently read as anonymous (the role decides what an answer shows).
    """
    read_token = settings.trafalgar.read_token
    if presented is None:
        if read_token is None:
            return None
        raise MissingToken(
            "missing bearer token",
            hint="send 'Authorization: Bearer <read token>' (TRAFALGAR_READ_TOKEN is set)",
        )
    # Evaluate both comparisons so timing does not reveal which token matched.
    is_read = _matches(presented, read_token)
    is_admin = _matches(presented, settings.trafalgar.dashboard_token)
    if is_admin:
        return "admin"
    if is_read:
        return "read"
    raise InvalidToken("invalid bearer token")


def container_of(conn: HTTPConnection) -> Container:
    """The app's one container (set by ``create_app``); everything else hangs off it."""
    container: Container = conn.app.state.container
    return container


async def get_container(conn: HTTPConnection) -> Container:
    return container_of(conn)


async def get_dashboard(conn: HTTPConnection) -> DashboardService:
    return container_of(conn).dashboard


async def get_broker(conn: HTTPConnection) -> Broker:
    return container_of(conn).broker


async def get_runs_view(conn: HTTPConnection) -> RunRegistryView:
    return container_of(conn).runs_view


# Plain functions: building these may touch storage or start a worker, so
# FastAPI runs them in a thread, off the event loop.
def get_delivery_manifests(conn: HTTPConnection) -> DeliveryManifests:
    return container_of(conn).delivery_manifests


def get_opencue_status(conn: HTTPConnection) -> OpenCueStatusService:
    return container_of(conn).opencue_status


async def get_settings(conn: HTTPConnection) -> Settings:
    return _settings(conn)


def _settings(conn: HTTPConnection) -> Settings:
    return container_of(conn).settings


class BearerPolicy(SecurityBase):
    """A bearer-token dependency that works for HTTP and WebSocket and shows in /docs."""

    def __init__(self, role: Role) -> None:
        self.role = role
        self.scheme_name = "DashboardToken" if role == "admin" else "ReadToken"
        description = (
            "TRAFALGAR_DASHBOARD_TOKEN"
            if role == "admin"
            else "TRAFALGAR_READ_TOKEN or the dashboard token (open when no read token is set)"
        )
        self.model = HTTPBearerModel(description=description)

    # async although it never awaits: FastAPI runs sync dependencies in a worker
    # thread, and this one only compares strings.
    async def __call__(self, conn: HTTPConnection) -> Role | None:
        settings = _settings(conn)
        if self.role == "admin":
            return check_admin(settings, presented_token(conn, allow_query=False))
        return check_read(settings, presented_token(conn, allow_query=True))


require_admin = BearerPolicy("admin")
require_read = BearerPolicy("read")

AdminAuth = Annotated[Role, Depends(require_admin)]
ReadAuth = Annotated[Role | None, Depends(require_read)]
ContainerDep = Annotated[Container, Depends(get_container)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
DashboardDep = Annotated[DashboardService, Depends(get_dashboard)]
BrokerDep = Annotated[Broker, Depends(get_broker)]
RunsViewDep = Annotated[RunRegistryView, Depends(get_runs_view)]
DeliveryManifestsDep = Annotated[DeliveryManifests, Depends(get_delivery_manifests)]
OpenCueStatusDep = Annotated[OpenCueStatusService, Depends(get_opencue_status)]
