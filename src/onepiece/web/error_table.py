"""The one exception-to-code table of Trafalgar, and its inverse for clients.

The only place that maps an exception class to an error code and an HTTP
status (docs/api.md documents it). The lookup walks the exception's MRO, so
the most specific class wins and a new subclass inherits its parent's code.
``exception_for`` reads the same table backwards, so a client of the API
(``web/client.py``, used by ``onepiece render --server``) turns an envelope's
code back into our exception tree without a copy of the table.

Pure: imports nothing of FastAPI, so a client loads it cheaply.
"""

from __future__ import annotations

from onepiece import errors


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
    # The state database failing under a running service (damaged while in use).
    errors.DatabaseDamaged: ("state.unavailable", 503),
    errors.DatabaseUnavailable: ("state.unavailable", 503),
    errors.ConfigError: ("config.invalid", 500),
    errors.IdempotencyInFlight: ("request.idempotency_in_flight", 409),
    # 409 like a key in flight: the key is taken. (The IETF draft suggests 422;
    # 409 is what a client retrying blindly is told to stop at, and what the
    # OpenAPI document lists for every POST /jobs.)
    errors.IdempotencyConflict: ("request.idempotency_key_reused", 409),
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
    errors.ObjectConflict: ("storage.conflict", 409),
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
# The state database failed under a running service (damaged, dropped, server
# gone): the service is degraded, not broken, and /health says why.
STATE_UNAVAILABLE = ("state.unavailable", 503)


def code_for(exc: BaseException) -> tuple[str, int]:
    """(code, HTTP status) for an exception: the most specific class in the table wins."""
    for cls in type(exc).__mro__:
        if cls in ERROR_TABLE:
            return ERROR_TABLE[cls]
    return INTERNAL


def exception_for(code: str) -> type[errors.OnePieceError] | None:
    """The most general of our exception classes that answer with ``code``, if any."""
    classes = [cls for cls, (name, _status) in ERROR_TABLE.items() if name == code]
    ours = [cls for cls in classes if issubclass(cls, errors.OnePieceError)]
    for cls in ours:
        if all(issubclass(other, cls) for other in ours):
            return cls
    return ours[0] if ours else None
