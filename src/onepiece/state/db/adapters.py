"""The SQL stores behind the APIs the services already call.

``DbIngestRunRegistry`` is the ingest run registry (``state.ingest_runs``'s
API, used by ``RunRecorder``) on the state database; ``DbRunRegistryView`` is
the web service's read side of it (``state.runs_view``), re-reading the runs
only when their revision marker moved.

Full disks: the file registry keeps a reserve file per run so the final record
fits on a full disk. A database has no such file: the database keeps its own
room (SQLite's WAL, the PostgreSQL server's disk), so ``reserve``/``release``
do nothing and ``use_reserve`` is accepted and ignored. A write that fails is
a ``StorageError`` naming the database, as the file registry's is; the run
recorder skips failed progress writes and reports a failed final one.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from onepiece.errors import StorageError
from onepiece.state.db.engine import describe
from onepiece.state.db.records import SqlIngestRunStore
from onepiece.state.runs_view import RunRegistryView, RunsSnapshot

_UNREAD = object()
log = logging.getLogger(__name__)


class DbIngestRunRegistry:
    def __init__(self, store: SqlIngestRunStore, path: Path) -> None:
        self.store = store
        self.path = path  # the registry file's place: its folder holds the ingest locks

    def runs(self) -> list[dict[str, Any]]:
        return self.store.runs()

    def get(self, run_id: str) -> dict[str, Any] | None:
        return self.store.get(run_id)

    def save(self, run: dict[str, Any], *, use_reserve: bool = False) -> None:
        try:
            self.store.save(run)
        except SQLAlchemyError as exc:
            raise StorageError(
                f"cannot write the ingest run to the state database "
                f"{describe(self.store.engine.url)}: {str(getattr(exc, 'orig', exc)).strip()}",
                hint="check the state database (onepiece db status), then run the ingest again",
            ) from exc

    def reserve(self, run_id: str) -> None:
        """Nothing to set aside: the database keeps its own room."""

    def release(self, run_id: str) -> bool:
        return False


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
            reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
            log.warning("reading ingest runs from the state database: %s", reason)
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
