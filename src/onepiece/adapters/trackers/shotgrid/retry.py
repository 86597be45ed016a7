"""The one retry policy for ShotGrid calls, and the SDK-to-OnePiece error mapping.

Every request the ShotGrid adapter makes goes through ``RetryPolicy.call``:
exponential backoff with full jitter (tenacity's ``wait_random_exponential``),
a maximum number of attempts and a total deadline. Only transient failures
are retried: connection errors, socket timeouts, HTTP 5xx and rate limiting
(429/503). Authentication failures and schema or field errors are reported
at once. The SDK's own retry loops are switched off where the connection is
built (``shotgrid.connect``) so this is the only policy and the deadline holds.
"""

from __future__ import annotations

import errno
import http.client
import logging
import re
import socket
import ssl
import time
import xmlrpc.client
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_before_delay,
    wait_random_exponential,
)

from onepiece.errors import OnePieceError, TrackerRejected, TrackerUnavailable

log = logging.getLogger("onepiece.shotgrid")

T = TypeVar("T")

# HTTP statuses worth another try: server errors and rate limiting.
TRANSIENT_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
_NETWORK_ERRNOS = frozenset(
    {errno.ENETUNREACH, errno.ENETDOWN, errno.EHOSTUNREACH, errno.EADDRNOTAVAIL, errno.ECONNABORTED}
)
CREDENTIALS_HINT = (
    "check ONEPIECE_SHOTGRID_SCRIPT and ONEPIECE_SHOTGRID_KEY (the script name and its "
    "application key on the ShotGrid site's Scripts page)"
)
_FIELD_PATTERNS = (
    re.compile(r"(?P<field>[\w.]+) is not a valid field for entity (?P<entity>\w+)"),
    re.compile(r"(?P<entity>[A-Z]\w*)\.(?P<field>\w+) doesn't exist"),
    re.compile(r"(?P<entity>[A-Z]\w*)\.(?P<field>\w+) is of type"),
    re.compile(r"[Ff]ield (?P<entity>[A-Z]\w*)\.(?P<field>\w+)"),
)


def http_status(exc: BaseException) -> int | None:
    """The HTTP status carried by the SDK's ProtocolError, if any."""
    if isinstance(exc, xmlrpc.client.ProtocolError):
        return int(exc.errcode)
    return None


def is_transient(exc: BaseException) -> bool:
    """Worth retrying: the request may succeed unchanged a moment later."""
    status = http_status(exc)
    if status is not None:
        return status in TRANSIENT_STATUSES
    # socket.timeout is TimeoutError; RemoteDisconnected is a ConnectionError.
    if isinstance(exc, TimeoutError | ConnectionError | ssl.SSLEOFError):
        return True
    if isinstance(exc, http.client.HTTPException):
        return True
    # Network unreachable and friends, but not "unknown host" (socket.gaierror)
    # or certificate errors: a misspelt URL does not get better by waiting.
    return (
        isinstance(exc, OSError)
        and not isinstance(exc, socket.gaierror | ssl.SSLError)
        and exc.errno in _NETWORK_ERRNOS
    )


def is_connection_failure(exc: BaseException) -> bool:
    """The site could not be reached at all: DNS, refused, TLS, timeout or a proxy.

    Most of these are OSErrors (socket.gaierror, ConnectionRefusedError,
    ssl.SSLError, TimeoutError); the SDK's bundled httplib2 adds its own
    (ServerNotFoundError for a name that does not resolve, ProxiesUnavailableError)
    and its bundled PySocks raises ProxyError, neither of them an OSError.
    """
    if isinstance(exc, OSError | http.client.HTTPException):
        return True
    from shotgun_api3.lib.httplib2 import HttpLib2Error  # noqa: TID251
    from shotgun_api3.lib.httplib2.socks import ProxyError  # noqa: TID251

    return isinstance(exc, HttpLib2Error | ProxyError)


def describe(exc: BaseException) -> str:
    """A short reason for logs and messages, never including credentials."""
    status = http_status(exc)
    if status is not None:
        return f"HTTP {status} {getattr(exc, 'errmsg', '')}".strip()
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def retry_after_seconds(exc: BaseException) -> float | None:
    """The server's Retry-After (seconds form) on a 429/503, if it sent one."""
    headers = getattr(exc, "headers", None)
    if not isinstance(headers, dict):
        return None
    value = headers.get("retry-after") or headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else None
    except (TypeError, ValueError):
        return None


def field_in_message(message: str) -> str | None:
    """``Entity.field`` named by a ShotGrid schema error, if the message names one."""
    for pattern in _FIELD_PATTERNS:
        if match := pattern.search(message):
            return f"{match.group('entity')}.{match.group('field')}"
    return None


def translate(exc: BaseException, what: str, site: str) -> OnePieceError:
    """Map an SDK exception to our tree; the caller raises it ``from exc``."""
    from shotgun_api3.shotgun import (  # noqa: TID251
        AuthenticationFault,
        MissingTwoFactorAuthenticationFault,
        ShotgunError,
    )

    if isinstance(exc, OnePieceError):
        return exc
    if isinstance(exc, AuthenticationFault | MissingTwoFactorAuthenticationFault):
        return TrackerRejected(
            f"ShotGrid refused the script credentials at {site} while trying to {what}",
            hint=CREDENTIALS_HINT,
            context={"site": site, "kind": "auth"},
        )
    status = http_status(exc)
    if status == 403:
        return TrackerRejected(
            f"ShotGrid at {site} refused access (HTTP 403) while trying to {what}",
            hint="the script may lack API access or permission for this project",
            context={"site": site, "status": status, "kind": "access"},
        )
    if is_transient(exc) or is_connection_failure(exc) or status is not None:
        return TrackerUnavailable(
            f"ShotGrid at {site} is unreachable while trying to {what}: {describe(exc)}",
            hint="check ONEPIECE_SHOTGRID_URL and the network; retried transient failures "
            "within shotgrid.max_attempts and shotgrid.deadline_seconds",
            context={"site": site},
        )
    if isinstance(exc, ShotgunError):
        message = str(exc).strip() or type(exc).__name__
        field = field_in_message(message)
        if field:
            return TrackerRejected(
                f"ShotGrid rejected field {field} while trying to {what}: {message}",
                hint="the site's schema lacks this field or its type differs; "
                "see docs/configuration.md (ShotGrid fields)",
                context={"site": site, "field": field, "kind": "field"},
            )
        return TrackerRejected(
            f"ShotGrid rejected the request to {what}: {message}",
            context={"site": site, "kind": "request"},
        )
    raise exc


@dataclass(frozen=True)
class RetryPolicy:
    """Backoff with full jitter, bounded by attempts and a total deadline."""

    max_attempts: int = 5
    deadline_seconds: float = 60.0
    backoff_seconds: float = 0.5  # first wait is uniform in [0, backoff_seconds]
    max_backoff_seconds: float = 30.0

    def _wait(self, state: RetryCallState) -> float:
        jitter = wait_random_exponential(
            multiplier=self.backoff_seconds, max=self.max_backoff_seconds
        )(state)
        outcome = state.outcome
        exc = outcome.exception() if outcome is not None else None
        hinted = retry_after_seconds(exc) if exc is not None else None
        # Respect a server's Retry-After, but never beyond the cap.
        return min(max(jitter, hinted or 0.0), self.max_backoff_seconds)

    def _log_retry(self, what: str, state: RetryCallState) -> None:
        outcome = state.outcome
        exc = outcome.exception() if outcome is not None else None
        delay = state.next_action.sleep if state.next_action is not None else 0.0
        at = (datetime.now() + timedelta(seconds=delay)).strftime("%H:%M:%S")
        log.warning(
            "ShotGrid %s failed (attempt %d/%d): %s; retrying in %.2fs (at %s)",
            what,
            state.attempt_number,
            self.max_attempts,
            describe(exc) if exc is not None else "unknown error",
            delay,
            at,
        )

    def call(self, what: str, site: str, func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``func`` under the policy; raise our error (``from`` the SDK's) when it gives up."""
        retrying = Retrying(
            retry=retry_if_exception(is_transient),
            stop=stop_after_attempt(self.max_attempts) | stop_before_delay(self.deadline_seconds),
            wait=self._wait,
            before_sleep=lambda state: self._log_retry(what, state),
            reraise=True,
            sleep=time.sleep,
        )
        try:
            return retrying(func, *args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - every SDK error is translated here
            raise translate(exc, what, site) from exc
