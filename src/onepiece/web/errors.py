"""The one error envelope for Trafalgar (the code-to-status table is ``error_table``).

Every error the API returns, including unknown routes (404), wrong methods
(405) and request validation (422), has the same shape::

    {"error": {"code": "tracker.unavailable", "message": "...",
               "hint": "...", "context": {...}}}

``hint`` and ``context`` are present only when there is something to say.
Clients rely on ``code``; ``message`` is for people. ``web/error_table.py``
is the only place that maps an exception class to a code and an HTTP status.
"""

from __future__ import annotations

import contextvars
import logging
from typing import Any

from fastapi import FastAPI
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError, WebSocketRequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import HTTPConnection
from starlette.websockets import WebSocket

from onepiece import errors
from onepiece.web.error_table import (
    HTTP_STATUS_CODES,
    INTERNAL,
    REQUEST_INVALID,
    STATE_UNAVAILABLE,
    AuthError,
    code_for,
)

log = logging.getLogger("onepiece.web")


# WebSocket close code for policy violations (RFC 6455), used when the server
# cannot send an HTTP denial response before the upgrade.
WS_POLICY_VIOLATION = 1008

# Set in the connection's task when its handshake was answered with a denial
# (401, 503...): uvicorn's wsproto and sans-I/O protocols then log "ASGI
# callable returned without completing handshake" as an ERROR although the
# client got its answer, so any client without a token could fill the error log.
_DENIED: contextvars.ContextVar[bool] = contextvars.ContextVar("ws_denied", default=False)


class _AnsweredHandshakes(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not (_DENIED.get() and "without completing handshake" in record.getMessage())


def envelope(
    code: str,
    message: str,
    *,
    hint: str | None = None,
    context: dict[str, Any] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if hint:
        body["hint"] = hint
    if context:
        body["context"] = jsonable_encoder(context)
    return {"error": body}


async def _respond(
    conn: HTTPConnection,
    status: int,
    body: dict[str, Any],
    headers: dict[str, str] | None = None,
) -> JSONResponse | None:
    response = JSONResponse(body, status_code=status, headers=headers)
    if isinstance(conn, WebSocket):
        # Before the upgrade a real HTTP answer is best (clients see 401/503 and the
        # envelope); servers without the denial extension get a policy close instead.
        try:
            await conn.send_denial_response(response)
            _DENIED.set(True)  # the handshake ends here, answered, by design
        except RuntimeError:
            await conn.close(code=WS_POLICY_VIOLATION, reason=body["error"]["code"])
        return None
    return response


async def _onepiece_error(conn: HTTPConnection, exc: Exception) -> JSONResponse | None:
    assert isinstance(exc, errors.OnePieceError)
    code, status = code_for(exc)
    if isinstance(exc, AuthError):
        # An audit line: who was refused where. Never the token itself.
        client = conn.client.host if conn.client else "?"
        log.info("refused %s from %s: %s", conn.url.path, client, code)
    elif status >= 500:
        log.warning("%s on %s: %s", code, conn.url.path, exc.message)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    body = envelope(code, exc.message, hint=exc.hint, context=exc.context)
    return await _respond(conn, status, body, headers)


async def error_response(conn: HTTPConnection, exc: errors.OnePieceError) -> JSONResponse | None:
    """The envelope response for one of our errors (for ASGI middleware, outside the handlers)."""
    return await _onepiece_error(conn, exc)


def _is_undecodable_body(exc: StarletteHTTPException) -> bool:
    # FastAPI answers 400 when the body is not UTF-8 or nests deeper than the JSON
    # parser's recursion limit; to a client that is invalid JSON like any other.
    return exc.status_code == 400 and isinstance(exc.__cause__, ValueError | RecursionError)


async def _http_error(conn: HTTPConnection, exc: Exception) -> JSONResponse | None:
    assert isinstance(exc, StarletteHTTPException)
    if _is_undecodable_body(exc):
        code, status = REQUEST_INVALID
        message = "invalid request: body: not valid JSON"
        body = envelope(code, message, hint="send a UTF-8 JSON body")
        return await _respond(conn, status, body)
    status = exc.status_code
    code = HTTP_STATUS_CODES.get(status, f"http.{status}")
    message = exc.detail if isinstance(exc.detail, str) else "request failed"
    if status == 404 and exc.detail == "Not Found":
        message = f"no route for {conn.url.path}"
    elif status == 405:
        method = conn.scope.get("method", "this method")
        message = f"{method} is not allowed on {conn.url.path}"
    context = {"detail": exc.detail} if not isinstance(exc.detail, str) else None
    headers = dict(exc.headers) if exc.headers else None
    return await _respond(conn, status, envelope(code, message, context=context), headers)


async def _validation_error(conn: HTTPConnection, exc: Exception) -> JSONResponse | None:
    assert isinstance(exc, RequestValidationError | WebSocketRequestValidationError)
    problems = [
        {
            "loc": [str(part) for part in item.get("loc", ())],
            "msg": item.get("msg", ""),
            "type": item.get("type", ""),
        }
        for item in exc.errors()
    ]
    first = problems[0] if problems else {"loc": [], "msg": "invalid request"}
    where = ".".join(first["loc"])
    message = f"invalid request: {where}: {first['msg']}" if where else "invalid request"
    code, status = REQUEST_INVALID
    body = envelope(
        code,
        message,
        hint="see the OpenAPI schema at /docs",
        context={"errors": problems},
    )
    return await _respond(conn, status, body)


async def _unexpected_error(conn: HTTPConnection, exc: Exception) -> JSONResponse | None:
    # A bug: log the traceback server-side, tell the client nothing internal.
    log.error("unhandled error on %s", conn.url.path, exc_info=exc)
    code, status = INTERNAL
    body = envelope(code, "internal server error", hint="see the server log")
    return await _respond(conn, status, body)


async def _state_error(conn: HTTPConnection, exc: Exception) -> JSONResponse | None:
    # The reason (a table, a file, a server address) stays in the server log.
    reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
    if isinstance(exc, DataError):  # a value the database cannot hold: the request's
        log.info("state database refused a value on %s: %s", conn.url.path, reason)
        code, status = REQUEST_INVALID
        message = "a value in this request cannot be stored (a NUL character, a number too large)"
        return await _respond(conn, status, envelope(code, message, hint="correct the value"))
    log.warning("state database failed on %s: %s", conn.url.path, reason)
    code, status = STATE_UNAVAILABLE
    body = envelope(
        code,
        "the state database cannot be read or written",
        hint="see GET /health and the server log; check the database (onepiece db status)",
    )
    return await _respond(conn, status, body)


def install_error_handlers(app: FastAPI) -> None:
    """Route every error through the envelope (HTTP responses and WebSocket denials)."""
    # Typed Any: Starlette's stubs want separate Request/WebSocket handlers, while
    # ours take the common HTTPConnection and serve both.
    handlers: dict[type[Exception], Any] = {
        errors.OnePieceError: _onepiece_error,
        StarletteHTTPException: _http_error,
        RequestValidationError: _validation_error,
        WebSocketRequestValidationError: _validation_error,
        SQLAlchemyError: _state_error,
        Exception: _unexpected_error,
    }
    for cls, handler in handlers.items():
        app.add_exception_handler(cls, handler)
    uvicorn_log = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _AnsweredHandshakes) for f in uvicorn_log.filters):
        uvicorn_log.addFilter(_AnsweredHandshakes())
