"""A pure ASGI guard in front of every route: the token first, then a bounded body.

Hostile clients must not make the server buffer what it will refuse anyway
(docs/api.md#request-limits). For an HTTP request the guard

1. finds the route and the token policy it declares (``AdminAuth`` or
   ``ReadAuth``) and checks the presented token *before a byte of the body is
   read*; a refusal answers at once and closes the connection when a body was
   announced, so the unread body is never buffered;
2. refuses a body larger than ``trafalgar.max_body_bytes``: up front from
   ``Content-Length``, and while a chunked body streams in, counting bytes as
   they arrive (413 ``request.too_large``).

The route's own dependency checks the token again and gives the role to the
endpoint; the guard only makes the refusal happen earlier.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from onepiece.config import Settings
from onepiece.errors import OnePieceError
from onepiece.web.deps import BearerPolicy, check_admin, check_read, presented_token
from onepiece.web.errors import envelope, error_response

# Closing after an early refusal: the client's unread body is dropped with the connection.
_CLOSE = {"Connection": "close"}


class BodyTooLarge(HTTPException):
    """A request body over the configured limit (413 ``request.too_large``)."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            413, detail=f"request body larger than {limit} bytes", headers=dict(_CLOSE)
        )


def route_policy(route: BaseRoute) -> BearerPolicy | None:
    """The token policy a route declares through its dependencies, if any."""
    if not isinstance(route, APIRoute):
        return None
    pending = list(route.dependant.dependencies)
    while pending:
        dependency = pending.pop()
        if isinstance(dependency.call, BearerPolicy):
            return dependency.call
        pending.extend(dependency.dependencies)
    return None


def _has_body(scope: Scope) -> bool:
    headers = dict(scope.get("headers", ()))
    length = headers.get(b"content-length", b"0")
    return length not in (b"", b"0") or b"transfer-encoding" in headers


def _nul_in_address(scope: Scope) -> tuple[int, dict[str, object]] | None:
    """A NUL character in the path or the query names nothing we hold, and
    PostgreSQL cannot even compare text with one: answered here, as the
    client's mistake it is, rather than as a database failure."""
    hint = "remove the NUL character (%00) from the address"
    if "\x00" in scope.get("path", ""):
        return 404, envelope(
            "route.not_found", "no resource has a NUL character in its name", hint=hint
        )
    query: bytes = scope.get("query_string", b"")
    if b"\x00" in query or b"%00" in query:
        return 422, envelope(
            "request.invalid", "a query parameter holds a NUL character", hint=hint
        )
    return None


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class RequestGuard:
    """Token before body, and a body limit enforced while the body streams in."""

    def __init__(self, app: ASGIApp, routes: list[BaseRoute]) -> None:
        """``routes``: the routers' own routes, in the app's matching order."""
        self.app = app
        self._routes = routes
        found = ((route, route_policy(route)) for route in routes)
        self._policies = [(route, policy) for route, policy in found if policy is not None]

    def _policy_for(self, scope: Scope) -> BearerPolicy | None:
        for route, policy in self._policies:
            match, _child = route.matches(dict(scope))
            if match == Match.FULL:
                return policy
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        fastapi_app: FastAPI = scope["app"]
        settings: Settings = fastapi_app.state.container.settings
        conn = HTTPConnection(scope)
        policy = self._policy_for(scope)
        if policy is not None:
            try:
                if policy.role == "admin":
                    check_admin(settings, presented_token(conn, allow_query=False))
                else:
                    check_read(settings, presented_token(conn, allow_query=True))
            except OnePieceError as exc:
                response = await error_response(conn, exc)
                assert response is not None  # HTTP, never a WebSocket denial
                if _has_body(scope):
                    response.headers.update(_CLOSE)
                await response(scope, receive, send)
                return
        nul = _nul_in_address(scope)
        if nul is not None:
            await JSONResponse(nul[1], status_code=nul[0])(scope, receive, send)
            return
        limit = settings.trafalgar.max_body_bytes
        length = _content_length(scope)
        if length is not None and length > limit:
            body = envelope("request.too_large", str(BodyTooLarge(limit).detail), hint=_LIMIT_HINT)
            await JSONResponse(body, status_code=413, headers=dict(_CLOSE))(scope, receive, send)
            return
        await self.app(scope, _counting(receive, limit), self._allow_every_method(scope, send))

    def _allow_every_method(self, scope: Scope, send: Send) -> Send:
        """Fix ``Allow`` on a 405: Starlette lists only the first route sharing the path."""

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 405:
                methods = sorted(self._methods_for(scope))
                if methods:
                    headers = [(k, v) for k, v in message.get("headers", []) if k != b"allow"]
                    headers.append((b"allow", ", ".join(methods).encode()))
                    message = {**message, "headers": headers}
            await send(message)

        return sending

    def _methods_for(self, scope: Scope) -> set[str]:
        """Methods of every route sharing the path template of the first route that matches."""
        matching = [r for r in self._routes if r.matches(dict(scope))[0] != Match.NONE]
        if not matching:
            return set()
        template = getattr(matching[0], "path", None)
        methods: set[str] = set()
        for route in matching:
            if getattr(route, "path", None) == template:
                methods.update(getattr(route, "methods", None) or ())
        return methods


_LIMIT_HINT = "send a smaller body (trafalgar.max_body_bytes on the server)"


def _counting(receive: Receive, limit: int) -> Receive:
    """``receive`` that raises ``BodyTooLarge`` once more than ``limit`` bytes arrived."""
    seen = 0

    async def counted() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge(limit)
        return message

    return counted
