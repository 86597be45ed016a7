"""Who polls the farms: a lease only one process holds at a time.

Several ``onepiece serve`` processes (uvicorn workers, or hosts) refresh the
same render history; one polling is enough, and two would race on every job.
The holder is whoever holds a lock the operating system or the database
releases by itself when the process dies, so a ``kill -9`` hands polling to a
standby at its next attempt, with no expiry to tune:

- PostgreSQL: a session advisory lock on a connection kept for it (the server
  drops it the moment the dead process's connection closes);
- otherwise: ``flock`` on a file beside the render history.

``try_acquire`` never blocks; call it before each round.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
from pathlib import Path
from typing import IO, TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

log = logging.getLogger(__name__)


class Lease(Protocol):
    def try_acquire(self) -> bool:
        """True when this process holds the lease (now or already)."""

    def release(self) -> None: ...


class FileLease:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle: IO[bytes] | None = None

    def try_acquire(self) -> bool:
        if self._handle is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+b")  # noqa: SIM115 - held open while the lease is
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        self._handle = handle
        return True

    def release(self) -> None:
        if self._handle is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._handle.fileno(), fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None


def advisory_key(name: str) -> int:
    """A signed 64-bit key for ``pg_try_advisory_lock`` from a readable name."""
    return int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:8], "big", signed=True)


class PgAdvisoryLease:
    def __init__(self, engine: Engine, name: str) -> None:
        self.engine = engine
        self.key = advisory_key(name)
        self._connection: Connection | None = None

    def try_acquire(self) -> bool:
        from sqlalchemy import text
        from sqlalchemy.exc import SQLAlchemyError

        try:
            if self._connection is not None:
                self._connection.execute(text("SELECT 1"))  # still ours if still connected
                return True
            connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            try:
                query = text("SELECT pg_try_advisory_lock(:key)")
                held = bool(connection.scalar(query, {"key": self.key}))
            except SQLAlchemyError:
                connection.close()
                raise
            if not held:
                connection.close()
                return False
            self._connection = connection
            return True
        except SQLAlchemyError as exc:  # the server went away: the lock went with it
            log.warning("render poller lease: %s", str(getattr(exc, "orig", exc)).strip())
            self._drop()
            return False

    def _drop(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(Exception):
                self._connection.invalidate()
            self._connection = None

    def release(self) -> None:
        from sqlalchemy import text
        from sqlalchemy.exc import SQLAlchemyError

        if self._connection is None:
            return
        with contextlib.suppress(SQLAlchemyError):
            self._connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
            self._connection.close()
        self._connection = None
