"""One logged-in gazu client with ShotGrid's retry policy, a timeout and a lock.

``KitsuSession`` is the only place the adapter touches gazu. Every request
runs under the same ``RetryPolicy`` as ShotGrid's (exponential backoff with
full jitter, bounded by attempts and a total deadline) but retries only what
``errors.is_transient`` accepts; the login is never retried. Requests are
counted so benchmarks can report requests per entity.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_before_delay,
    wait_random_exponential,
)

from onepiece.adapters.trackers.kitsu.errors import describe, is_transient, translate
from onepiece.adapters.trackers.shotgrid.retry import RetryPolicy
from onepiece.errors import ConfigError

if TYPE_CHECKING:
    from onepiece.config import Settings

log = logging.getLogger("onepiece.kitsu")

T = TypeVar("T")


def _timeout_adapter(timeout: float) -> Any:
    """A requests adapter applying ``timeout`` to every call (gazu sets none)."""
    from requests.adapters import HTTPAdapter

    class TimeoutAdapter(HTTPAdapter):
        def send(self, request: Any, *args: Any, **kwargs: Any) -> Any:
            if not args:
                kwargs["timeout"] = kwargs.get("timeout") or timeout
            return super().send(request, *args, **kwargs)

    return TimeoutAdapter(max_retries=0)


class KitsuSession:
    """A gazu ``KitsuClient`` on one server, logged in once, shared under a lock."""

    def __init__(
        self,
        url: str,
        email: str,
        password: str,
        *,
        policy: RetryPolicy | None = None,
        timeout_seconds: float = 30.0,
    ) -> None:
        import gazu.client  # noqa: TID251

        self.url = url.rstrip("/")
        self.policy = policy or RetryPolicy()
        self.requests = 0
        self._email = email
        self._password = password
        self._lock = threading.RLock()
        self._logged_in = False
        self.client = gazu.client.create_client(self.url)
        adapter = _timeout_adapter(timeout_seconds)
        self.client.session.mount("http://", adapter)
        self.client.session.mount("https://", adapter)

    # -- plumbing ---------------------------------------------------------------

    def _log_retry(self, what: str, state: RetryCallState) -> None:
        outcome = state.outcome
        exc = outcome.exception() if outcome is not None else None
        delay = state.next_action.sleep if state.next_action is not None else 0.0
        log.warning(
            "Kitsu %s failed (attempt %d/%d): %s; retrying in %.2fs",
            what,
            state.attempt_number,
            self.policy.max_attempts,
            describe(exc) if exc is not None else "unknown error",
            delay,
        )

    def _retrying(self, what: str, idempotent: bool = True) -> Retrying:
        policy = self.policy
        return Retrying(
            retry=retry_if_exception(is_transient if idempotent else _safe_to_resend),
            stop=stop_after_attempt(policy.max_attempts)
            | stop_before_delay(policy.deadline_seconds),
            wait=wait_random_exponential(
                multiplier=policy.backoff_seconds, max=policy.max_backoff_seconds
            ),
            before_sleep=lambda state: self._log_retry(what, state),
            reraise=True,
            sleep=time.sleep,
        )

    def login(self) -> None:
        """Log in once; a refused login is reported at once, never retried."""
        import gazu  # noqa: TID251

        with self._lock:
            if self._logged_in:
                return

            def attempt() -> None:
                self.requests += 1
                gazu.log_in(self._email, self._password, client=self.client)  # type: ignore[no-untyped-call]

            try:
                # Only connection failures are retried: the login request never
                # reached zou, so it cannot count towards the account lock.
                Retrying(
                    retry=retry_if_exception(_never_reached_server),
                    stop=stop_after_attempt(self.policy.max_attempts)
                    | stop_before_delay(self.policy.deadline_seconds),
                    wait=wait_random_exponential(
                        multiplier=self.policy.backoff_seconds,
                        max=self.policy.max_backoff_seconds,
                    ),
                    before_sleep=lambda state: self._log_retry("log in", state),
                    reraise=True,
                )(attempt)
            except Exception as exc:  # noqa: BLE001 - every gazu error is translated here
                raise translate(exc, "log in", self.url) from exc
            self._logged_in = True

    def call(
        self,
        what: str,
        func: Callable[..., T],
        *args: Any,
        idempotent: bool = True,
        **kwargs: Any,
    ) -> T:
        """Run one gazu call (logged in first) under the retry policy.

        A call that is not ``idempotent`` (a create) is not resent after a read
        timeout: zou may have committed it, and a second one would duplicate.
        """
        self.login()

        def attempt() -> T:
            self.requests += 1
            return func(*args, client=self.client, **kwargs)

        with self._lock:
            try:
                return self._retrying(what, idempotent)(attempt)
            except Exception as exc:  # noqa: BLE001 - every gazu error is translated here
                raise translate(exc, what, self.url) from exc

    # -- raw REST helpers (paths relative to the API root) ----------------------

    def get(self, what: str, path: str, params: dict[str, Any] | None = None) -> Any:
        import gazu.client  # noqa: TID251

        return self.call(what, gazu.client.get, path, params=params)

    def post(self, what: str, path: str, data: dict[str, Any]) -> Any:
        import gazu.client  # noqa: TID251

        return self.call(what, gazu.client.post, path, data, idempotent=False)

    def put(self, what: str, path: str, data: dict[str, Any]) -> Any:
        import gazu.client  # noqa: TID251

        return self.call(what, gazu.client.put, path, data)

    def delete(self, what: str, path: str) -> Any:
        import gazu.client  # noqa: TID251

        return self.call(what, gazu.client.delete, path)

    def server_version(self) -> str:
        import gazu.client  # noqa: TID251

        return str(self.call("read the server version", gazu.client.get_api_version))

    def close(self) -> None:
        self.client.session.close()


def _safe_to_resend(exc: BaseException) -> bool:
    """Transient, and zou cannot have acted on it (no reply lost after a commit)."""
    import requests

    return is_transient(exc) and not isinstance(exc, requests.ReadTimeout)


def _never_reached_server(exc: BaseException) -> bool:
    import requests

    return isinstance(exc, requests.ConnectionError) and not isinstance(exc, requests.ReadTimeout)


def connect(settings: Settings) -> KitsuSession:
    """A session on the configured server (no request is made yet)."""
    kitsu = settings.kitsu
    missing = [
        name
        for name, value in (
            ("ONEPIECE_KITSU_URL", kitsu.url),
            ("ONEPIECE_KITSU_EMAIL", kitsu.email),
            ("ONEPIECE_KITSU_PASSWORD", kitsu.password),
        )
        if not value
    ]
    if missing:
        raise ConfigError(
            "Kitsu is not fully configured: set " + ", ".join(missing),
            hint="or [kitsu] url/email/password in onepiece.toml (docs/configuration.md)",
        )
    assert kitsu.url and kitsu.email and kitsu.password  # narrowed by the check above
    if not kitsu.url.startswith(("http://", "https://")):
        raise ConfigError(
            f"invalid Kitsu URL {kitsu.url!r}",
            hint="ONEPIECE_KITSU_URL=https://kitsu.example.com/api (the API URL, ending in /api)",
        )
    return KitsuSession(
        kitsu.url,
        kitsu.email,
        kitsu.password.get_secret_value(),
        policy=RetryPolicy(
            max_attempts=kitsu.max_attempts, deadline_seconds=kitsu.deadline_seconds
        ),
        timeout_seconds=kitsu.timeout_seconds,
    )
