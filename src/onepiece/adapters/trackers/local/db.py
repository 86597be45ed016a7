"""SQLite plumbing for the local tracker: connections, transactions, errors.

- One connection per thread: sqlite3 connections must not be shared between
  threads mid-transaction, and the ingest workers and the web threadpool call
  the tracker from many threads. Connections of threads that have ended are
  closed when the next one opens; ``close()`` closes them all.
- WAL journal: readers never block the writer and the writer never blocks
  readers, across processes too.
- Busy timeout: a writer waits (default 30 s) for another process's write
  transaction instead of failing with "database is locked".
- Writes start with ``BEGIN IMMEDIATE``: the write lock is taken up front, so
  the busy timeout applies. A deferred transaction that reads first and then
  writes can fail at once in WAL mode when another process wrote in between.
- sqlite3 errors become ``onepiece.errors`` here, at the boundary.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from onepiece.adapters.trackers.local.migrations import migrate, schema_version
from onepiece.errors import TrackerRejected, TrackerUnavailable

DEFAULT_BUSY_TIMEOUT = 30.0


@contextmanager
def translate_errors(path: Path) -> Iterator[None]:
    """Map sqlite3 exceptions to ours, most specific first."""
    try:
        yield
    except sqlite3.IntegrityError as exc:
        raise TrackerRejected(f"local tracker refused the change: {exc}") from exc
    except (sqlite3.InterfaceError, sqlite3.ProgrammingError) as exc:
        raise TrackerRejected(f"local tracker cannot store a value: {exc}") from exc
    except sqlite3.Error as exc:  # OperationalError, DatabaseError: locked, corrupt, I/O
        raise TrackerUnavailable(
            f"local tracker database {path} failed: {exc}",
            hint="check the file and its folder (permissions, disk space, not a network share)",
            context={"path": str(path)},
        ) from exc


class SqliteDatabase:
    """Thread-local connections to one SQLite file, migrated on first open."""

    def __init__(self, path: Path, *, busy_timeout: float = DEFAULT_BUSY_TIMEOUT) -> None:
        self.path = path
        self._busy_timeout = busy_timeout
        self._local = threading.local()
        self._lock = threading.Lock()
        self._open: dict[int, tuple[threading.Thread, sqlite3.Connection]] = {}
        self._generation = 0  # bumped by close(); stale thread-local connections reopen

    def connection(self) -> sqlite3.Connection:
        """This thread's connection, opened (and the file migrated) on first use."""
        cached: tuple[int, sqlite3.Connection] | None = getattr(self._local, "conn", None)
        if cached is not None and cached[0] == self._generation:
            return cached[1]
        conn = self._connect()
        with self._lock:
            self._close_dead_threads()
            self._open[threading.get_ident()] = (threading.current_thread(), conn)
            self._local.conn = (self._generation, conn)
        return conn

    def schema_version(self) -> int:
        with translate_errors(self.path):
            return schema_version(self.connection())

    def journal_mode(self) -> str:
        with translate_errors(self.path):
            return str(self.connection().execute("PRAGMA journal_mode").fetchone()[0])

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: committed if the block succeeds, else rolled back."""
        conn = self.connection()
        with translate_errors(self.path):
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:  # rollback only: re-raised
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """One read transaction, so several queries see the same snapshot."""
        conn = self.connection()
        with translate_errors(self.path):
            conn.execute("BEGIN")
            try:
                yield conn
            finally:
                if conn.in_transaction:
                    conn.execute("COMMIT")

    def close(self) -> None:
        """Close every thread's connection; the next call opens fresh ones."""
        with self._lock:
            self._generation += 1
            connections = [conn for _, conn in self._open.values()]
            self._open.clear()
        for conn in connections:
            conn.close()

    def _close_dead_threads(self) -> None:
        for ident, (thread, conn) in list(self._open.items()):
            if not thread.is_alive() or ident == threading.get_ident():
                del self._open[ident]
                conn.close()

    def _connect(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise TrackerUnavailable(
                f"cannot create the folder for the local tracker {self.path}: {exc}",
                hint="set tracker.path to a writable location",
                context={"path": str(self.path)},
            ) from exc
        with translate_errors(self.path):
            # check_same_thread=False only so close() may close every thread's
            # connection; each connection is otherwise used by its own thread.
            conn = sqlite3.connect(
                self.path,
                timeout=self._busy_timeout,
                isolation_level=None,
                check_same_thread=False,
            )
            try:
                conn.row_factory = sqlite3.Row
                conn.execute("PRAGMA foreign_keys = ON")
                conn.execute("PRAGMA journal_mode = WAL")
                migrate(conn, self.path)
            except BaseException:  # cleanup only: re-raised
                conn.close()
                raise
        return conn
