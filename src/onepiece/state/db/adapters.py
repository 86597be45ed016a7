"""The SQL stores behind the APIs the services already call.

``DbIngestRunRegistry`` is the ingest run registry (``state.ingest_runs``'s
API, used by ``RunRecorder``) on the state database; ``DbRunRegistryView`` is
the web service's read side of it (``state.runs_view``), re-reading the runs
only when their revision marker moved.

Full disks: on SQLite the database is a file on the data directory's disk, so,
as the old JSON registry did, a run keeps a small reserve file
``<state.db>.reserve-<run id>`` beside it while it runs; a final write that
finds the disk full gives that room back and tries once more, so the run's
failure is still recorded. A PostgreSQL server keeps its own room: nothing is
reserved there. A write that fails is a ``StorageError`` naming the database;
the run recorder skips failed progress writes and reports a failed final one.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from onepiece.errors import StorageError
from onepiece.state.db.engine import describe
from onepiece.state.db.records import SqlIngestRunStore
from onepiece.state.ingest_runs import RESERVE_SLACK
from onepiece.state.runs_view import RunRegistryView, RunsSnapshot

_UNREAD = object()
log = logging.getLogger(__name__)


def _reason(exc: SQLAlchemyError) -> str:
    return str(getattr(exc, "orig", exc)).strip().splitlines()[0]


def _disk_full(exc: SQLAlchemyError) -> bool:
    reason = _reason(exc).lower()
    return "database or disk is full" in reason or "no space left" in reason


class DbIngestRunRegistry:
    def __init__(
        self, store: SqlIngestRunStore | Callable[[], SqlIngestRunStore], path: Path
    ) -> None:
        self._store = store
        self.path = path  # the registry file's place: its folder holds the ingest locks

    @cached_property
    def store(self) -> SqlIngestRunStore:
        """Built on first use: a dry run that records nothing never opens the database."""
        store = self._store
        return store if isinstance(store, SqlIngestRunStore) else store()

    def runs(self) -> list[dict[str, Any]]:
        try:
            return self.store.runs()
        except SQLAlchemyError as exc:
            raise self._error("read the ingest runs from", exc) from exc

    def get(self, run_id: str) -> dict[str, Any] | None:
        try:
            return self.store.get(run_id)
        except SQLAlchemyError as exc:
            raise self._error("read the ingest run from", exc) from exc

    def save(self, run: dict[str, Any], *, use_reserve: bool = False) -> None:
        """Insert or replace ``run``; with ``use_reserve`` a full disk frees the
        run's reserve and tries once more."""
        try:
            self.store.save(run)
        except SQLAlchemyError as exc:
            if not (use_reserve and _disk_full(exc) and self.release(run["id"])):
                raise self._error("write the ingest run to", exc) from exc
            try:
                self.store.save(run)
            except SQLAlchemyError as again:
                raise self._error("write the ingest run to", again) from again

    def reserve(self, run_id: str) -> None:
        """Set room aside for ``run_id``'s final record (SQLite only, best effort)."""
        path = self._reserve_path(run_id)
        if path is None:
            return
        self._drop_stale_reserves(keep=run_id)
        try:
            with open(path, "wb") as handle:
                # Real blocks, not a sparse file: they are what a full disk gives back.
                handle.write(bytes(RESERVE_SLACK))
        except OSError:
            with contextlib.suppress(OSError):
                path.unlink()

    def release(self, run_id: str) -> bool:
        """Delete ``run_id``'s reserve; False when there was none."""
        path = self._reserve_path(run_id)
        if path is None:
            return False
        try:
            path.unlink()
        except OSError:
            return False
        return True

    def _reserve_path(self, run_id: str) -> Path | None:
        database = self.store.engine.url.database
        if self.store.engine.dialect.name != "sqlite" or not database:
            return None
        file = Path(database)
        return file.with_name(f"{file.name}.reserve-{run_id}")

    def _drop_stale_reserves(self, keep: str) -> None:
        """Reserves of runs no longer running (killed ones) are no use to anyone."""
        probe = self._reserve_path(keep)
        if probe is None:
            return
        prefix = probe.name.removesuffix(keep)
        with contextlib.suppress(OSError, SQLAlchemyError):
            running = {r.get("id") for r in self.store.runs() if r.get("status") == "running"}
            for path in probe.parent.glob(f"{prefix}*"):
                # A reserve made in the last minute may be a run not yet recorded.
                young = time.time() - path.stat().st_mtime < 60
                if not young and path.name.removeprefix(prefix) not in running | {keep}:
                    path.unlink(missing_ok=True)

    def _error(self, action: str, exc: SQLAlchemyError) -> StorageError:
        return StorageError(
            f"cannot {action} the state database {describe(self.store.engine.url)}: {_reason(exc)}",
            hint="check the state database (onepiece db status), then run the ingest again",
        )


class DbRunRegistryView(RunRegistryView):
    """``RunRegistryView`` reading the state database instead of the JSON file."""

    def __init__(self, store: SqlIngestRunStore) -> None:
        super().__init__(Path(describe(store.engine.url)))
        self.store = store
        self._revision: object = _UNREAD

    def snapshot(self) -> RunsSnapshot:
        """The runs; the last ones read (``stale``) while the database cannot be read."""
        try:
            return self._read()
        except SQLAlchemyError as exc:
            log.warning("reading ingest runs from the state database: %s", _reason(exc))
            with self._lock:
                current = self._snapshot
                self._snapshot = RunsSnapshot(current.runs, current.by_id, stale=True)
                self._revision = _UNREAD  # read again once it answers
                return self._snapshot

    def _read(self) -> RunsSnapshot:
        revision = self.store.revision()
        with self._lock:
            if revision == self._revision:
                return self._snapshot
            runs = tuple(r for r in self.store.runs() if isinstance(r.get("id"), str))
            self.reads += 1
            self._snapshot = RunsSnapshot(runs, {r["id"]: r for r in runs})
            self._revision = revision
            return self._snapshot
