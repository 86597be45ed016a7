"""gazu and HTTP failures mapped to OnePiece's tracker errors, at the adapter boundary.

Transient failures (connection refused or reset, timeouts, HTTP 5xx) may be
retried by the session's policy; everything else is reported at once. A
refused login is never retried: zou locks an account for a minute after five
failures.
"""

from __future__ import annotations

from onepiece.errors import EntityNotFound, OnePieceError, TrackerRejected, TrackerUnavailable

CREDENTIALS_HINT = (
    "check ONEPIECE_KITSU_EMAIL and ONEPIECE_KITSU_PASSWORD (a Kitsu account allowed "
    "to use the API; zou locks an account for a minute after five wrong passwords)"
)
URL_HINT = "check ONEPIECE_KITSU_URL (the API URL, ending in /api) and that zou is running"


def is_transient(exc: BaseException) -> bool:
    """Worth another try: the same request may succeed a moment later."""
    import requests
    from gazu.exception import ServerErrorException  # noqa: TID251

    if isinstance(exc, requests.ConnectionError | requests.Timeout | ServerErrorException):
        return True
    return isinstance(exc, TimeoutError | ConnectionError)


def describe(exc: BaseException) -> str:
    """A short reason for messages: the exception type and its first line, no secrets."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    if "Max retries exceeded" in text or "Connection refused" in text:
        text = "connection refused"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def translate(exc: BaseException, what: str, url: str) -> OnePieceError:
    """Our error for a gazu/requests exception; the caller raises it ``from exc``."""
    import gazu.exception as gx  # noqa: TID251

    if isinstance(exc, OnePieceError):
        return exc
    if isinstance(exc, gx.AuthFailedException | gx.NotAuthenticatedException):
        return TrackerRejected(
            f"Kitsu at {url} refused the login while trying to {what}",
            hint=CREDENTIALS_HINT,
            context={"site": url, "kind": "auth"},
        )
    if isinstance(exc, gx.NotAllowedException):
        return TrackerRejected(
            f"Kitsu at {url} refused access (HTTP 403) while trying to {what}",
            hint="the Kitsu account needs the Studio manager or Admin role for this project",
            context={"site": url, "kind": "access"},
        )
    if isinstance(exc, gx.RouteNotFoundException):
        return EntityNotFound(
            f"Kitsu at {url} has no such record or route while trying to {what}",
            hint=URL_HINT,
            context={"site": url},
        )
    if is_transient(exc) or isinstance(exc, OSError | gx.HostException):
        return TrackerUnavailable(
            f"Kitsu at {url} is unreachable while trying to {what}: {describe(exc)}",
            hint=URL_HINT + "; transient failures were retried within kitsu.max_attempts "
            "and kitsu.deadline_seconds",
            context={"site": url},
        )
    if isinstance(exc, gx.GazuException):
        return TrackerRejected(
            f"Kitsu rejected the request to {what}: {describe(exc)}",
            context={"site": url, "kind": "request"},
        )
    import requests

    if isinstance(exc, requests.RequestException | ValueError):
        return TrackerUnavailable(
            f"Kitsu at {url} gave an unexpected answer while trying to {what}: {describe(exc)}",
            hint=URL_HINT,
            context={"site": url},
        )
    raise exc
