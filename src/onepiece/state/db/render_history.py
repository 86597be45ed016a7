"""The render job history in the state database.

``SqlRenderJobStore`` keeps the render service's history (add, update, get,
recent, page, unfinished, farm_job_ids, counts, daily_counts, prune, compact,
stats) on SQLite and PostgreSQL alike: the history always lives in the state
database (an old history file is imported once, ``legacy_render``). The
history rules (retention, the history limit, the job count) apply in the same
transaction as every write: state.db.render_pruning.

A job submitted with an ``Idempotency-Key`` binds the key in its insert's
transaction (state.db.idempotency).

Every write also appends its stream events (``job.created``, ``job.updated``,
``job.removed``) to the ``events`` table in the same transaction, so an
acknowledged write always has its event, numbered by the database; each serve
process tails that table (``event_feed``) whatever process made the write.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.engine import Connection, Engine

from onepiece.domain.render import JobStatus, RenderJob, event_job
from onepiece.state.db import schema
from onepiece.state.db.engine import describe, reading
from onepiece.state.db.event_log import SqlEventLog, append_event, append_events
from onepiece.state.db.group_commit import group_writer
from onepiece.state.db.render_counters import SHARDS, ShardedCounters
from onepiece.state.db.render_pruning import (
    COMPACTED_AT,
    COUNTERS,
    IDEMPOTENCY_KEY_HOURS,
    RETENTION_EVERY_SECONDS,
    SIZE,
    TOPIC,
    HistoryPruner,
    event_body,
    mark_compacted,
)
from onepiece.state.db.render_reports import HistoryStats, daily_job_counts, job_counts

__all__ = [
    "IDEMPOTENCY_KEY_HOURS",
    "RETENTION_EVERY_SECONDS",
    "HistoryStats",
    "SqlRenderJobStore",
]

_UNFINISHED = [s.value for s in JobStatus if not s.finished]
EVENTS_KEEP = 10_000  # the replay window kept in the events table (pruned at compaction)


def _event(connection: Connection, name: str, body: dict[str, Any]) -> None:
    append_event(connection, TOPIC, name, event_body(name, body))


class SqlRenderJobStore:
    def __init__(
        self,
        engine: Engine,
        *,
        history_limit: int,
        retention_hours: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.engine = engine
        self.damage: str | None = None  # the database's own health says when it is damaged
        # A submit's statements, built once: each submit then costs their
        # execution, not their construction (bench/serve_submits.py).
        jobs, keys = schema.render_jobs, schema.idempotency_keys
        self._insert = jobs.insert()
        self._bind = (
            update(keys).where(keys.c.key == bindparam("bound_key")).values(job_id=bindparam("id"))
        )
        self._counters = ShardedCounters()  # no one row every submit locks
        self._pruner = HistoryPruner(
            self._counters,
            history_limit=history_limit,
            retention_hours=retention_hours,
            clock=clock,
        )
        if self._opened_before(engine):
            return  # a read: a command that only lists never queues behind a writer
        with engine.begin() as connection:
            imported = connection.scalar(select(func.count()).select_from(schema.render_jobs)) or 0
            for name in COUNTERS:  # first use: the size of what was imported
                self._counters.create(connection, name, imported if name == SIZE else 0)
            self._pruner.prune(connection)

    @property
    def history_limit(self) -> int:
        return self._pruner.history_limit

    @property
    def retention_hours(self) -> float:
        return self._pruner.retention_hours

    def _opened_before(self, engine: Engine) -> bool:
        """Its counters exist and nothing is due for pruning (over the limit, or
        past retention): the open then writes nothing."""
        counters, jobs = schema.counters, schema.render_jobs
        names = [f"{name}.{shard}" for name in COUNTERS for shard in range(SHARDS)]
        cutoff = time.time() - self.retention_hours * 3600.0
        expired = (
            select(jobs.c.seq)
            .where(jobs.c.finished.is_(True), jobs.c.submitted_at < cutoff)
            .limit(1)
        )
        with reading(engine) as connection:
            made = connection.scalar(
                select(func.count())
                .select_from(counters)
                .where(counters.c.name.in_([*COUNTERS, *names]))
            )
            if made != len(COUNTERS) * (SHARDS + 1):
                return False
            if self._counters.read(connection, SIZE) > self.history_limit:
                return False
            return connection.execute(expired).first() is None

    @staticmethod
    def _row(job: RenderJob) -> dict[str, Any]:
        return {
            "farm": job.farm,
            "status": job.status.value,
            "finished": job.status.finished,
            "data": job.to_dict(),
        }

    def add(self, job: RenderJob, *, idempotency_key: str | None = None) -> list[str]:
        """Persist a new job (committed when this returns); returns ids pruned meanwhile.

        ``idempotency_key``: the claimed key this job answers, bound to it in the
        same transaction: a job recorded is never left with its key unbound."""
        row = {**self._row(job), "id": job.id, "submitted_at": job.submitted_at.timestamp()}
        # Batched with the other submits waiting: one commit, and one statement of
        # each kind, for all (group_commit.py).
        return group_writer(self.engine).run_batched(self._add_all, (job, row, idempotency_key))

    def _add_all(
        self, connection: Connection, entries: list[tuple[RenderJob, dict[str, Any], str | None]]
    ) -> list[list[str]]:
        """Several new jobs, their keys bound, their events; the ids pruned go to the first."""
        connection.execute(self._insert, [row for _, row, _ in entries])
        binds = [{"bound_key": key, "id": job.id} for job, _, key in entries if key is not None]
        if binds:
            connection.execute(self._bind, binds)
        bodies = [event_body("job.created", event_job(job)) for job, _, _ in entries]
        append_events(connection, TOPIC, "job.created", bodies)
        pruned = self._pruner.prune(connection, grown=len(entries))
        return [pruned, *([] for _ in entries[1:])]

    def update(self, job: RenderJob) -> tuple[bool, list[str]]:
        """Save a job's new state. Returns (still in history, ids pruned meanwhile).

        A cancel asked through another host is kept: a poller that read the job
        just before it was asked must not write it away (the row is locked from
        the read to the write)."""
        jobs = schema.render_jobs
        with self.engine.begin() as connection:
            query = select(jobs.c.data).where(jobs.c.id == job.id).with_for_update()
            stored = connection.scalar(query)
            if stored is None:
                return False, self._pruner.prune(connection)
            asked = dict(stored).get("cancel_requested")
            if asked and not job.cancel_requested:
                job = replace(job, cancel_requested=asked)
            connection.execute(update(jobs).where(jobs.c.id == job.id).values(**self._row(job)))
            _event(connection, "job.updated", event_job(job))
            return True, self._pruner.prune(connection)

    def prune(self) -> list[str]:
        with self.engine.begin() as connection:
            return self._pruner.prune(connection)

    def _jobs(self, query: Any) -> list[RenderJob]:
        with reading(self.engine) as connection:
            return [RenderJob.from_dict(dict(row.data)) for row in connection.execute(query)]

    def get(self, job_id: str) -> RenderJob | None:
        jobs = schema.render_jobs
        found = self._jobs(select(jobs.c.data).where(jobs.c.id == job_id))
        return found[0] if found else None

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
        jobs = schema.render_jobs
        query = select(jobs.c.seq, jobs.c.data).order_by(jobs.c.seq.desc()).limit(limit + 1)
        if before is not None:
            query = query.where(jobs.c.seq < before)
        if status:
            query = query.where(jobs.c.status == status)
        if farm:
            query = query.where(jobs.c.farm == farm)
        with reading(self.engine) as connection:
            rows = connection.execute(query).all()
        found = [RenderJob.from_dict(dict(row.data)) for row in rows[:limit]]
        return found, (int(rows[limit - 1].seq) if len(rows) > limit else None)

    def farm_job_ids(self, farm: str) -> set[str]:
        """Every farm job id this history holds for ``farm``."""
        jobs = schema.render_jobs
        query = select(jobs.c.data).where(jobs.c.farm == farm)
        with reading(self.engine) as connection:
            return {str(dict(row.data).get("farm_job_id")) for row in connection.execute(query)}

    def unfinished(self) -> list[RenderJob]:
        jobs = schema.render_jobs
        return self._jobs(
            select(jobs.c.data).where(jobs.c.status.in_(_UNFINISHED)).order_by(jobs.c.seq)
        )

    def last_seq(self) -> int:
        with reading(self.engine) as connection:
            return int(connection.scalar(select(func.max(schema.render_jobs.c.seq))) or 0)

    def added_since(self, seq: int, limit: int = 1000) -> list[tuple[int, RenderJob]]:
        """Jobs added after ``seq`` (by any process), oldest first."""
        jobs = schema.render_jobs
        query = select(jobs.c.seq, jobs.c.data).where(jobs.c.seq > seq).order_by(jobs.c.seq)
        with reading(self.engine) as connection:
            rows = connection.execute(query.limit(limit)).all()
        return [(int(row.seq), RenderJob.from_dict(dict(row.data))) for row in rows]

    def counts(self) -> dict[str, Any]:
        """``/metrics`` ``render``: jobs, by_status, by_farm."""
        return job_counts(self.engine)

    def daily_counts(self, since: float) -> list[tuple[str, str, int]]:
        """(UTC day, status, jobs) submitted since ``since`` (epoch seconds), one SQL pass."""
        return daily_job_counts(self.engine, since)

    def compact(self) -> None:
        """SQLite: reclaim pruned pages, fold the WAL back in; PostgreSQL's autovacuum does that."""
        SqlEventLog(self.engine).prune(EVENTS_KEEP)
        with self.engine.begin() as connection:
            mark_compacted(connection)
        if self.engine.dialect.name == "sqlite":
            with self.engine.connect() as connection:
                # Outside any transaction: a checkpoint cannot truncate under one.
                raw = connection.connection.driver_connection
                assert raw is not None
                raw.execute("PRAGMA incremental_vacuum").fetchall()
                raw.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()

    def stats(self) -> HistoryStats:
        meta = schema.state_meta
        with reading(self.engine) as connection:
            counters = {name: self._counters.read(connection, name) for name in COUNTERS}
            at = connection.scalar(select(meta.c.value).where(meta.c.key == COMPACTED_AT))
        return HistoryStats(
            path=describe(self.engine.url),
            size=counters[SIZE],
            history_limit=self.history_limit,
            retention_hours=self.retention_hours,
            pruned_by_retention=counters["render_jobs.pruned_by_retention"],
            pruned_by_limit=counters["render_jobs.pruned_by_limit"],
            last_compaction_at=datetime.fromtimestamp(float(at), UTC) if at else None,
        )

    def close(self) -> None:
        """The engine belongs to the caller; nothing of our own to release."""
