"""Wake-ups between processes on PostgreSQL: ``NOTIFY`` after a write, ``LISTEN``
to act on another process's at once instead of at the next poll round.

A notification carries only a topic (``"jobs"``): what changed is read from
where it is kept (the render history's change log), so events keep their
ids, come once, and a lost notification only costs waiting for the next
round. SQLite has no such channel: there the poll round is the only path.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)

CHANNEL = "onepiece_state"
RECONNECT_SECONDS = 1.0
# Changes of one topic within this long share one NOTIFY (well under the
# 500 ms cross-worker delivery goal).
COALESCE_SECONDS = 0.02


def conninfo(engine: Engine) -> str:
    """The engine's URL as libpq takes it (no SQLAlchemy driver suffix)."""
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


class PgNotifier:
    """``NOTIFY`` a topic; a burst of writes sends one per ``coalesce`` seconds.

    A notification only says "look again", so ten submits in a few
    milliseconds need one, not ten: each costs a round trip and a commit
    here and a read of the change log in every listening worker
    (bench/serve_submits.py). The first change of a burst is sent at once;
    the ones after it within ``coalesce`` seconds are folded into one sent
    when that time is up, so the last change is always announced.
    """

    def __init__(self, engine: Engine, *, coalesce: float = COALESCE_SECONDS) -> None:
        self.engine = engine
        self.coalesce = coalesce
        self._lock = threading.Lock()
        self._sent_at: dict[str, float] = {}
        self._pending: set[str] = set()

    def notify(self, topic: str) -> None:
        """Best effort: a failure is logged, never raised (the poll round follows)."""
        with self._lock:
            if topic in self._pending:
                return  # a NOTIFY for it is already on its way
            wait = self._sent_at.get(topic, -self.coalesce) + self.coalesce - time.monotonic()
            if wait > 0:
                self._pending.add(topic)
                timer = threading.Timer(wait, self._send_pending, (topic,))
                timer.daemon = True
                timer.start()
                return
            self._sent_at[topic] = time.monotonic()
        self._send(topic)

    def _send_pending(self, topic: str) -> None:
        with self._lock:
            self._pending.discard(topic)
            self._sent_at[topic] = time.monotonic()
        self._send(topic)

    def _send(self, topic: str) -> None:
        from sqlalchemy import text
        from sqlalchemy.exc import SQLAlchemyError

        try:
            with self.engine.connect() as connection:
                connection.execute(
                    text("SELECT pg_notify(:channel, :topic)"),
                    {"channel": CHANNEL, "topic": topic},
                )
                connection.commit()
        except SQLAlchemyError as exc:
            log.debug("NOTIFY %s failed: %s", topic, exc)


class PgListener:
    """A thread that calls ``handlers[topic]()`` for each notification."""

    def __init__(self, engine: Engine, handlers: dict[str, Callable[[], None]]) -> None:
        self._conninfo = conninfo(engine)
        self.handlers = handlers
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.listening = threading.Event()  # set once LISTEN is in place

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="pg-listener", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _run(self) -> None:
        import psycopg

        while not self._stop.is_set():
            try:
                with psycopg.connect(self._conninfo, autocommit=True) as connection:
                    connection.execute(f"LISTEN {CHANNEL}")
                    self.listening.set()
                    while not self._stop.is_set():
                        for note in connection.notifies(timeout=0.5):
                            self._dispatch(note.payload)
            except psycopg.Error as exc:
                self.listening.clear()
                log.warning("listening for other processes' changes: %s", str(exc).strip())
                self._stop.wait(RECONNECT_SECONDS)

    def _dispatch(self, topic: str) -> None:
        handler = self.handlers.get(topic)
        if handler is None:
            return
        try:
            handler()
        except Exception as exc:  # noqa: BLE001 - one bad round must not end the listener
            log.warning("acting on another process's %s change: %s", topic, exc)
