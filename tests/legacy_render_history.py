"""The render history file of earlier versions (``render-jobs.db``), kept to
write such files for the import tests: the live history is the state
database's (``onepiece.state.db.render_history``). As it was:

Render job history: SQLite in WAL mode at ``settings.render_jobs_path``.

Why SQLite (docs/decisions.md, "Render job history"): a submit is one indexed
INSERT in one transaction, so its cost does not grow with the history. In WAL
mode a commit has been written to the WAL file (the OS page cache) before
``add`` returns, so an acknowledged job survives ``kill -9`` of any process
with ``synchronous=NORMAL`` (the default); ``sync="full"`` also fsyncs every
commit, for power loss, at the disk's fsync rate. Several processes (the web
service, CLI commands) may share the file.

Every write also appends to the ``changes`` log in the same transaction
(``created`` / ``updated`` with the job as written, ``removed``), numbered by an
AUTOINCREMENT sequence. The web service tails that log and publishes each
change, so a change made by any process sharing the file (a CLI ``--wait``
writing a final status) reaches every stream subscriber, in order.

History rules, applied in the same transaction as every write and at start:
jobs finished more than ``retention_hours`` ago (by submit time) are pruned;
beyond ``history_limit`` jobs the oldest finished ones are dropped. The job
count lives in a ``meta`` row updated in those transactions (``count(*)`` would
scan the table). "Compaction" is a WAL checkpoint (TRUNCATE) plus an
incremental vacuum, run at start and by the service's maintenance tick;
``last_compaction_at`` also moves whenever a write prunes jobs, so it confirms
pruning as the published documents promise.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from onepiece.domain.render import JobStatus, RenderJob
from onepiece.errors import ConfigError, HistoryDamaged
from onepiece.state.db.render_history import HistoryStats
from onepiece.state.render_history_file import inspect_history, is_corruption

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    farm TEXT NOT NULL,
    status TEXT NOT NULL,
    finished INTEGER NOT NULL,
    submitted_at REAL NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_status ON jobs (status, seq);
CREATE INDEX IF NOT EXISTS jobs_farm ON jobs (farm, seq);
CREATE INDEX IF NOT EXISTS jobs_finished_age ON jobs (submitted_at) WHERE finished = 1;
CREATE TABLE IF NOT EXISTS changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    data TEXT
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value);
INSERT OR IGNORE INTO meta VALUES ('size', (SELECT count(*) FROM jobs));
INSERT OR IGNORE INTO meta VALUES ('pruned_by_retention', 0);
INSERT OR IGNORE INTO meta VALUES ('pruned_by_limit', 0);
INSERT OR IGNORE INTO meta VALUES ('last_compaction_at', NULL);
"""
# Changes kept for tailing: far more than one poll interval can produce.
CHANGE_LOG_KEEP = 10_000
_UNFINISHED = tuple(s.value for s in JobStatus if not s.finished)


@dataclass(frozen=True)
class Change:
    """One entry of the change log: ``kind`` is created, updated or removed."""

    seq: int
    kind: str
    job_id: str
    job: RenderJob | None  # the job as written; None for removed


class RenderJobStore:
    def __init__(
        self,
        path: Path,
        *,
        history_limit: int,
        retention_hours: float,
        sync: Literal["normal", "full"] = "normal",
    ) -> None:
        self.path = path
        self.history_limit = history_limit
        self.retention_hours = retention_hours
        self._lock = threading.Lock()
        self.damage: str | None = None  # why the file is damaged: then nothing touches it
        self._opened = False
        path.parent.mkdir(parents=True, exist_ok=True)
        found = inspect_history(path)
        if found.kind == "other":
            raise ConfigError(
                f"render job history {path} is not a readable SQLite database: {found.reason}",
                hint="point TRAFALGAR_RENDER_JOBS_PATH at a new or existing history file "
                "(SQLite, or a JSON history to import)",
            )
        if found.kind == "damaged":
            self.damage = f"render job history {path} is damaged: {found.reason}"
            log.error("%s; serving degraded, nothing is written into it", self.damage)
            return
        if found.kind == "json":
            raise ConfigError(f"{path} is a JSON history: the state database imports it")
        self._open(sync)

    def _open(self, sync: str) -> None:
        path = self.path
        try:
            self._db = sqlite3.connect(
                path, isolation_level=None, check_same_thread=False, timeout=10.0
            )
            self._db.execute("PRAGMA auto_vacuum = INCREMENTAL")  # only takes on a new file
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute(f"PRAGMA synchronous = {'FULL' if sync == 'full' else 'NORMAL'}")
            with self._write():
                for statement in filter(str.strip, _SCHEMA.split(";")):
                    self._db.execute(statement)
                self._prune()
            self._opened = True
        except sqlite3.DatabaseError as exc:
            raise ConfigError(
                f"render job history {path} is not a readable SQLite database: {exc}",
                hint="move the file aside (a new history is created) or fix "
                "TRAFALGAR_RENDER_JOBS_PATH",
            ) from exc
        self.compact()

    def _check(self) -> None:
        if self.damage is not None:
            raise HistoryDamaged(
                self.damage,
                hint="restore the file from a backup, or move it aside (a new history "
                "is created) and restart",
            )

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """Under the lock: refuse a damaged file; a corruption found now marks it damaged."""
        with self._lock:
            self._check()
            try:
                yield
            except sqlite3.DatabaseError as exc:
                if not is_corruption(exc):
                    raise
                self.damage = f"render job history {self.path} is damaged: {exc}"
                log.error("%s; nothing more is written into it", self.damage)
                self._check()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One IMMEDIATE transaction under the lock; committed on exit."""
        with self._guard():
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _bump(self, key: str, delta: int) -> None:
        if delta:
            self._db.execute("UPDATE meta SET value = value + ? WHERE key = ?", (delta, key))

    def _log(self, job_id: str, kind: str, data: str | None) -> None:
        self._db.execute(
            "INSERT INTO changes (job_id, kind, data) VALUES (?, ?, ?)", (job_id, kind, data)
        )

    def _prune(self) -> list[str]:
        cutoff = time.time() - self.retention_hours * 3600.0
        rows = self._db.execute(
            "DELETE FROM jobs WHERE finished = 1 AND submitted_at < ? RETURNING id", (cutoff,)
        ).fetchall()
        removed = [r[0] for r in rows]
        self._bump("pruned_by_retention", len(removed))
        self._bump("size", -len(removed))
        (size,) = self._db.execute("SELECT value FROM meta WHERE key = 'size'").fetchone()
        if size > self.history_limit:
            rows = self._db.execute(
                "DELETE FROM jobs WHERE seq IN (SELECT seq FROM jobs WHERE finished = 1 "
                "ORDER BY seq LIMIT ?) RETURNING id",
                (size - self.history_limit,),
            ).fetchall()
            self._bump("pruned_by_limit", len(rows))
            self._bump("size", -len(rows))
            removed += [r[0] for r in rows]
        for job_id in removed:
            self._log(job_id, "removed", None)
        if removed:  # /health's last_compaction_at confirms pruning (published contract)
            self._db.execute(
                "UPDATE meta SET value = ? WHERE key = 'last_compaction_at'", (time.time(),)
            )
        self._db.execute(
            "DELETE FROM changes WHERE seq <= (SELECT max(seq) FROM changes) - ?",
            (CHANGE_LOG_KEEP,),
        )
        return removed

    @staticmethod
    def _row(job: RenderJob) -> tuple[str, str, int, str, str]:
        data = json.dumps(job.to_dict(), separators=(",", ":"))
        return job.farm, job.status.value, int(job.status.finished), data, job.id

    def add(self, job: RenderJob) -> list[str]:
        """Persist a new job (durable when this returns); returns ids pruned meanwhile."""
        farm, status, finished, data, job_id = self._row(job)
        with self._write() as db:
            db.execute(
                "INSERT INTO jobs (farm, status, finished, data, id, submitted_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (farm, status, finished, data, job_id, job.submitted_at.timestamp()),
            )
            self._log(job_id, "created", data)
            self._bump("size", 1)
            return self._prune()

    def update(self, job: RenderJob) -> tuple[bool, list[str]]:
        """Save a job's new state. Returns (still in history, ids pruned meanwhile)."""
        row = self._row(job)
        with self._write() as db:
            cursor = db.execute(
                "UPDATE jobs SET farm = ?, status = ?, finished = ?, data = ? WHERE id = ?", row
            )
            kept = cursor.rowcount == 1
            if kept:
                self._log(job.id, "updated", row[3])
            return kept, self._prune()

    def add_many(self, jobs: list[RenderJob]) -> None:
        """Persist many jobs in one transaction (importing a JSON history)."""
        with self._write() as db:
            for job in jobs:
                farm, status, finished, data, job_id = self._row(job)
                db.execute(
                    "INSERT OR IGNORE INTO jobs (farm, status, finished, data, id, submitted_at) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (farm, status, finished, data, job_id, job.submitted_at.timestamp()),
                )
            db.execute("UPDATE meta SET value = (SELECT count(*) FROM jobs) WHERE key = 'size'")
            self._prune()

    def prune(self) -> list[str]:
        with self._write():
            return self._prune()

    def _select(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._guard():
            rows: list[sqlite3.Row] = self._db.execute(sql, params).fetchall()
            return rows

    def get(self, job_id: str) -> RenderJob | None:
        rows = self._select("SELECT data FROM jobs WHERE id = ?", (job_id,))
        return RenderJob.from_dict(json.loads(rows[0][0])) if rows else None

    def recent(
        self, *, status: str | None = None, farm: str | None = None, limit: int = 100
    ) -> list[RenderJob]:
        """Newest first."""
        return self.page(status=status, farm=farm, limit=limit)[0]

    def page(
        self,
        *,
        status: str | None = None,
        farm: str | None = None,
        limit: int = 100,
        before: int | None = None,
    ) -> tuple[list[RenderJob], int | None]:
        """Newest first, older than the job numbered ``before``; with the number to
        pass as ``before`` for the next page (None on the last one)."""
        where: list[str] = []
        params: list[Any] = []
        if before is not None:
            where.append("seq < ?")
            params.append(before)
        if status:
            where.append("status = ?")
            params.append(status)
        if farm:
            where.append("farm = ?")
            params.append(farm)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        rows = self._select(
            f"SELECT seq, data FROM jobs {clause} ORDER BY seq DESC LIMIT ?", (*params, limit + 1)
        )
        jobs = [RenderJob.from_dict(json.loads(r[1])) for r in rows[:limit]]
        return jobs, (int(rows[limit - 1][0]) if len(rows) > limit else None)

    def farm_job_ids(self, farm: str) -> set[str]:
        """Every farm job id this history holds for ``farm``."""
        rows = self._select(
            "SELECT json_extract(data, '$.farm_job_id') FROM jobs WHERE farm = ?", (farm,)
        )
        return {str(r[0]) for r in rows}

    def unfinished(self) -> list[RenderJob]:
        marks = ",".join("?" * len(_UNFINISHED))
        rows = self._select(
            f"SELECT data FROM jobs WHERE status IN ({marks}) ORDER BY seq", _UNFINISHED
        )
        return [RenderJob.from_dict(json.loads(r[0])) for r in rows]

    def last_change(self) -> int:
        """The newest change's sequence number (0 for none)."""
        return int(self._select("SELECT coalesce(max(seq), 0) FROM changes")[0][0])

    def changes_since(self, seq: int, limit: int = 1000) -> list[Change]:
        """Changes after ``seq`` (made by any process), oldest first."""
        rows = self._select(
            "SELECT seq, kind, job_id, data FROM changes WHERE seq > ? ORDER BY seq LIMIT ?",
            (seq, limit),
        )
        return [
            Change(int(r[0]), r[1], r[2], RenderJob.from_dict(json.loads(r[3])) if r[3] else None)
            for r in rows
        ]

    def counts(self) -> dict[str, Any]:
        """``/metrics`` ``render``: jobs, by_status, by_farm (index-only scans)."""
        by_status = {
            r[0]: r[1] for r in self._select("SELECT status, count(*) FROM jobs GROUP BY status")
        }
        by_farm = {
            r[0]: r[1] for r in self._select("SELECT farm, count(*) FROM jobs GROUP BY farm")
        }
        return {"jobs": sum(by_status.values()), "by_status": by_status, "by_farm": by_farm}

    def daily_counts(self, since: float) -> list[tuple[str, str, int]]:
        """(UTC day, status, jobs) submitted since ``since`` (epoch seconds), one SQL pass."""
        rows = self._select(
            "SELECT date(submitted_at, 'unixepoch'), status, count(*) FROM jobs "
            "WHERE submitted_at >= ? GROUP BY 1, 2",
            (since,),
        )
        return [(str(r[0]), str(r[1]), int(r[2])) for r in rows]

    def compact(self) -> None:
        """Reclaim pruned pages and fold the WAL back into the database file; a
        quick check first, so damage done while running stops writes too."""
        with self._guard():
            found = [str(r[0]) for r in self._db.execute("PRAGMA quick_check(5)").fetchall()]
            if found != ["ok"]:
                self.damage = f"render job history {self.path} is damaged: {'; '.join(found)}"
                log.error("%s; nothing more is written into it", self.damage)
                self._check()
            self._db.execute("PRAGMA incremental_vacuum")
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
            self._db.execute(
                "UPDATE meta SET value = ? WHERE key = 'last_compaction_at'", (time.time(),)
            )

    def stats(self) -> HistoryStats:
        meta = {r[0]: r[1] for r in self._select("SELECT key, value FROM meta")}
        at = meta.get("last_compaction_at")
        return HistoryStats(
            path=str(self.path),
            size=int(meta["size"]),
            history_limit=self.history_limit,
            retention_hours=self.retention_hours,
            pruned_by_retention=int(meta["pruned_by_retention"]),
            pruned_by_limit=int(meta["pruned_by_limit"]),
            last_compaction_at=datetime.fromtimestamp(at, UTC) if at is not None else None,
        )

    def close(self) -> None:
        with self._lock:
            if self._opened:
                self._db.close()
                self._opened = False
