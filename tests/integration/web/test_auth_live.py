"""The auth matrix against a real uvicorn server on loopback, for HTTP and WebSocket.

Protected routes: /metrics, /admin/cache (GET and POST). Read routes: /health,
/projects, /projects/{project}. Each scenario runs every route of its kind.
"""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI, WebSocket
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from onepiece.web.deps import AdminAuth, ReadAuth
from tests.integration.web.conftest import ADMIN_TOKEN, READ_TOKEN, make_settings

PROTECTED = [("GET", "/metrics"), ("GET", "/admin/cache"), ("POST", "/admin/cache")]
READ = [("GET", "/health"), ("GET", "/projects"), ("GET", "/projects/FG")]


def outcomes(url: str, routes, headers: dict[str, str] | None = None, params=None):
    """(method, path) -> (status, error code or None) for every route."""
    found = {}
    with httpx.Client(base_url=url, timeout=10) as http:
        for method, path in routes:
            response = http.request(method, path, headers=headers, params=params)
            code = (
                response.json().get("error", {}).get("code")
                if response.status_code >= 400
                else None
            )
            found[(method, path)] = (response.status_code, code)
    return found


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def add_websockets(app: FastAPI) -> None:
    """Two tiny WebSocket routes using the shared policies, as later routers will."""

    @app.websocket("/ws/admin")
    async def admin_socket(websocket: WebSocket, role: AdminAuth) -> None:
        await websocket.accept()
        await websocket.send_text(f"hello {role}")
        await websocket.close()

    @app.websocket("/ws/read")
    async def read_socket(websocket: WebSocket, role: ReadAuth) -> None:
        await websocket.accept()
        await websocket.send_text(f"hello {role or 'anonymous'}")
        await websocket.close()


def ws_status(url: str, headers: dict[str, str] | None = None) -> int | str:
    """The HTTP status of a refused handshake, or the first message of an accepted one."""
    try:
        with connect(url, additional_headers=headers or {}, open_timeout=10) as socket:
            return str(socket.recv(timeout=10))
    except InvalidStatus as exc:
        return exc.response.status_code


def test_protected_routes_answer_503_when_no_dashboard_token_is_configured(
    data_dir: Path, make_app, live_server
) -> None:
    settings = make_settings(data_dir, trafalgar={"dashboard_token": None})
    with live_server(make_app(settings)) as server:
        for headers in (None, bearer("anything-at-all")):
            found = outcomes(server.url, PROTECTED, headers)
            assert set(found.values()) == {(503, "auth.not_configured")}, found


def test_protected_routes_need_the_dashboard_token(
    settings, make_app, live_server, caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app(settings)
    with caplog.at_level(logging.DEBUG), live_server(app) as server:
        assert set(outcomes(server.url, PROTECTED).values()) == {(401, "auth.missing_token")}
        for wrong in (
            bearer("not-the-token"),
            bearer(ADMIN_TOKEN + "x"),
            {"Authorization": f"Basic {ADMIN_TOKEN}"},
        ):
            assert set(outcomes(server.url, PROTECTED, wrong).values()) == {
                (401, "auth.invalid_token")
            }
        # Admin HTTP routes take the header only: a query token is not enough.
        by_query = outcomes(server.url, PROTECTED, params={"token": ADMIN_TOKEN})
        assert set(by_query.values()) == {(401, "auth.missing_token")}
        right = outcomes(server.url, PROTECTED, bearer(ADMIN_TOKEN))
        assert set(right.values()) == {(200, None)}
    server_side = [r for r in caplog.records if r.name.startswith(("onepiece", "uvicorn"))]
    assert server_side  # the server did log (auth failures, requests)
    assert not [r for r in server_side if ADMIN_TOKEN in r.getMessage()]


def test_unauthorised_answers_say_how_to_authenticate(settings, make_app, live_server) -> None:
    with live_server(make_app(settings)) as server:
        response = httpx.get(server.url + "/metrics")
    assert response.headers["www-authenticate"] == "Bearer"
    assert "Authorization: Bearer" in response.json()["error"]["hint"]


def test_read_routes_are_open_while_no_read_token_is_set(settings, make_app, live_server) -> None:
    with live_server(make_app(settings)) as server:
        assert set(outcomes(server.url, READ).values()) == {(200, None)}
        # Issue 21 item 18 reverses this: a wrong token is 401 even on an open route.
        wrong = outcomes(server.url, READ, bearer("whatever"))
        assert set(wrong.values()) == {(401, "auth.invalid_token")}


def test_read_routes_need_the_read_or_dashboard_token_once_a_read_token_is_set(
    data_dir: Path, make_app, live_server
) -> None:
    settings = make_settings(data_dir, trafalgar={"read_token": READ_TOKEN})
    with live_server(make_app(settings)) as server:
        assert set(outcomes(server.url, READ).values()) == {(401, "auth.missing_token")}
        assert set(outcomes(server.url, READ, bearer("nope")).values()) == {
            (401, "auth.invalid_token")
        }
        for token in (READ_TOKEN, ADMIN_TOKEN):
            assert set(outcomes(server.url, READ, bearer(token)).values()) == {(200, None)}
        # Browsers (EventSource) may pass the token as a query parameter on read routes.
        assert set(outcomes(server.url, READ, params={"token": READ_TOKEN}).values()) == {
            (200, None)
        }
        # The read token never opens admin routes.
        assert set(outcomes(server.url, PROTECTED, bearer(READ_TOKEN)).values()) == {
            (401, "auth.invalid_token")
        }


def test_websocket_routes_follow_the_same_policy(data_dir: Path, make_app, live_server) -> None:
    settings = make_settings(data_dir, trafalgar={"read_token": READ_TOKEN})
    app = make_app(settings)
    add_websockets(app)
    with live_server(app) as server:
        admin_url, read_url = server.ws_url + "/ws/admin", server.ws_url + "/ws/read"
        assert ws_status(admin_url) == 401
        assert ws_status(admin_url, bearer("wrong")) == 401
        assert ws_status(admin_url, bearer(READ_TOKEN)) == 401
        assert ws_status(admin_url, bearer(ADMIN_TOKEN)) == "hello admin"
        assert ws_status(f"{admin_url}?token={ADMIN_TOKEN}") == "hello admin"
        assert ws_status(read_url) == 401
        assert ws_status(f"{read_url}?token={READ_TOKEN}") == "hello read"
        assert ws_status(read_url, bearer(ADMIN_TOKEN)) == "hello admin"


def test_websocket_admin_route_answers_503_when_no_token_is_configured(
    data_dir: Path, make_app, live_server
) -> None:
    app = make_app(make_settings(data_dir, trafalgar={"dashboard_token": None}))
    add_websockets(app)
    with live_server(app) as server:
        assert ws_status(server.ws_url + "/ws/admin", bearer("anything")) == 503
        assert ws_status(server.ws_url + "/ws/read") == "hello anonymous"
