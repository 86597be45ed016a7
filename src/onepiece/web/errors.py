"""The one error envelope for Trafalgar, and the one code-to-status table.

Every error the API returns, including unknown routes (404), wrong methods
(405) and request validation (422), has the same shape::

    {"error": {"code": "tracker.unavailable", "message": "...",
               "hint": "...", "context": {...}}}

``hint`` and ``context`` are present only when there is something to say.
Clients rely on ``code``; ``message`` is for people. The table below is the
only place that maps an exception class to a code and an HTTP status, and
docs/api.md documents it. The lookup walks the exception's MRO, so the most
specific class wins and a new subclass inherits its parent's code.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError, WebSocketRequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import HTTPConnection
from starlette.websockets import WebSocket

from onepiece import errors

log = logging.getLogger("onepiece.web")


class AuthError(errors.OnePieceError):
    """A request lacks the credentials a route needs (web layer only)."""


class MissingToken(AuthError):
    """No bearer token was sent."""


class InvalidToken(AuthError):
    """A bearer token was sent but it is not the configured one."""


class AuthNotConfigured(AuthError):
    """The route needs a token and the server has none configured."""


class NotFound(errors.OnePieceError):
    """A resource addressed by the URL (other than a tracker entity) does not exist."""


# exception class -> (code, HTTP status). Written once; documented in docs/api.md.
ERROR_TABLE: dict[type[BaseException], tuple[str, int]] = {
    MissingToken: ("auth.missing_token", 401),
    InvalidToken: ("auth.invalid_token", 401),
    AuthNotConfigured: ("auth.not_configured", 503),
    AuthError: ("auth.invalid_token", 401),
    NotFound: ("resource.not_found", 404),
    errors.ConfigError: ("config.invalid", 500),
    errors.IdempotencyInFlight: ("request.idempotency_in_flight", 409),
    errors.IdempotencyConflict: ("request.idempotency_key_reused", 422),
    errors.ValidationError: ("validation.invalid", 422),
    errors.HistoryDamaged: ("render.history_damaged", 503),
    errors.IntegrityError: ("integrity.mismatch", 409),
    errors.NothingToDo: ("request.nothing_to_do", 404),
    errors.TrackerUnavailable: ("tracker.unavailable", 503),
    errors.EntityNotFound: ("tracker.not_found", 404),
    errors.TrackerRejected: ("tracker.rejected", 502),
    errors.VersionConflict: ("tracker.version_conflict", 409),
    errors.TrackerError: ("tracker.error", 502),
    errors.StorageUnavailable: ("storage.unavailable", 503),
    errors.ObjectNotFound: ("storage.not_found", 404),
    errors.StorageError: ("storage.error", 502),
    errors.AdapterUnavailable: ("adapter.unavailable", 503),
    errors.AdapterNotImplemented: ("adapter.not_implemented", 501),
    errors.SceneNotFound: ("adapter.job_rejected", 422),
    errors.JobRejected: ("adapter.job_rejected", 422),
    errors.UnknownFarm: ("render.farm_not_found", 404),
    errors.FarmNotFound: ("render.farm_not_found", 404),
    errors.JobNotFound: ("render.job_not_found", 404),
    errors.FarmError: ("render.farm_error", 502),
    errors.OnePieceError: ("internal.error", 500),
}

# Errors Starlette raises itself (routing, body parsing), by HTTP status.
HTTP_STATUS_CODES: dict[int, str] = {
    400: "request.bad",
    401: "auth.missing_token",
    403: "auth.forbidden",
    404: "route.not_found",
    405: "method.not_allowed",
    413: "request.too_large",
    415: "request.unsupported_media_type",
    422: "request.invalid",
    429: "request.rate_limited",
}
REQUEST_INVALID = ("request.invalid", 422)
INTERNAL = ("internal.error", 500)

# WebSocket close code for policy violations (RFC 6455), used when the server
# cannot send an HTTP denial response before the upgrade.
WS_POLICY_VIOLATION = 1008


def code_for(exc: BaseException) -> tuple[str, int]:
    """(code, HTTP status) for an exception: the most specific class in the table wins."""
    for cls in type(exc).__mro__:
        if cls in ERROR_TABLE:
            return ERROR_TABLE[cls]
    return INTERNAL


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


def install_error_handlers(app: FastAPI) -> None:
    """Route every error through the envelope (HTTP responses and WebSocket denials)."""
    # Typed Any: Starlette's stubs want separate Request/WebSocket handlers, while
    # ours take the common HTTPConnection and serve both.
    handlers: dict[type[Exception], Any] = {
        errors.OnePieceError: _onepiece_error,
        StarletteHTTPException: _http_error,
        RequestValidationError: _validation_error,
        WebSocketRequestValidationError: _validation_error,
        Exception: _unexpected_error,
    }
    for cls, handler in handlers.items():
        app.add_exception_handler(cls, handler)
