"""The render history's pruning, done inside the caller's transaction.

The history rules apply in the same transaction as every write of the store
(state.db.render_history): jobs finished more than ``retention_hours`` ago
(by submit time) are pruned (looked for at most once a second per process:
``RETENTION_EVERY_SECONDS``), then beyond ``history_limit`` jobs the oldest
finished ones. The job count is kept in ``counters``, updated in those
transactions (``count(*)`` would scan the table on every ``/health``),
sharded so that concurrent submits do not queue on one row
(state.db.render_counters).

Separate from the store, which owns one ``HistoryPruner`` and calls it in its
writes: the store keeps the history's reads and writes, this module what
bounds its size. It never opens a transaction of its own.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import bindparam, delete, select, text
from sqlalchemy.engine import Connection

from onepiece.state.db import schema
from onepiece.state.db.event_log import append_events
from onepiece.state.db.leases import advisory_key
from onepiece.state.db.render_counters import ShardedCounters, pick_shard
from onepiece.state.db.sql import for_transaction, in_transaction, upsert

SIZE = "render_jobs.size"
COUNTERS = (SIZE, "render_jobs.pruned_by_retention", "render_jobs.pruned_by_limit")
COMPACTED_AT = "render_jobs.last_compaction_at"
_SIZE_SEEN = "onepiece.render_jobs_size"  # for_transaction: the size it leaves
TOPIC = "jobs"
# Retention is counted in hours: looking for expired jobs on every submit bought
# nothing and cost a query each (on PostgreSQL a table scan per submit once a
# plan made while the table was small is reused: bench/serve_submits.py).
RETENTION_EVERY_SECONDS = 1.0
_PRUNE_LOCK = advisory_key("onepiece.render_jobs.prune")
IDEMPOTENCY_KEY_HOURS = 24.0  # how long a retry with the same key gets its job back
PRUNE_SLICE_DIVISOR = 100  # past the limit, prune down to 99% of it (see HistoryPruner.prune)


def event_body(name: str, body: dict[str, Any]) -> dict[str, Any]:
    body.setdefault("job_id", body.get("id"))
    return {"event": name, "job": body}


def mark_compacted(connection: Connection) -> None:
    now = {"key": COMPACTED_AT, "value": repr(time.time())}
    upsert(connection, schema.state_meta, now, ["key"])


class HistoryPruner:
    def __init__(
        self,
        counters: ShardedCounters,
        *,
        history_limit: int,
        retention_hours: float,
        clock: Callable[[], float],
    ) -> None:
        self.history_limit = history_limit
        # What a prune at the limit leaves: 1% under it (exact below 100 jobs).
        self._floor = history_limit - history_limit // PRUNE_SLICE_DIVISOR
        self.retention_hours = retention_hours
        self._clock = clock
        self._next_retention = float("-inf")  # the first write looks
        self._counters = counters  # the store's: no one row every submit locks
        jobs, keys = schema.render_jobs, schema.idempotency_keys
        self._expired_keys = delete(keys).where(keys.c.claimed_at < bindparam("key_cutoff"))
        self._expired = (
            delete(jobs)
            .where(jobs.c.finished.is_(True), jobs.c.submitted_at < bindparam("cutoff"))
            .returning(jobs.c.id)
        )

    def prune(self, connection: Connection, *, grown: int = 0) -> list[str]:
        """``grown``: count that many jobs more (the ones ``add`` wrote)."""
        jobs, counters, shard = schema.render_jobs, self._counters, pick_shard(connection)
        removed = self._expired_jobs(connection)
        counters.bump(connection, SIZE, grown, shard)
        size = self._size(connection, grown)  # before the retention's removals
        counters.bump(connection, "render_jobs.pruned_by_retention", len(removed), shard)
        counters.bump(connection, SIZE, -len(removed), shard)
        size -= len(removed)
        if size > self.history_limit and connection.dialect.name == "postgresql":
            size = self._excess_alone(connection)
        # Past the limit, down to the floor: a full history then prunes once per
        # slice of submits, not on each (each prune is about five statements).
        excess = size - self._floor if size > self.history_limit else 0
        if excess > 0:
            oldest = (
                select(jobs.c.seq)
                .where(jobs.c.finished.is_(True))
                .order_by(jobs.c.seq)
                .limit(excess)
                .scalar_subquery()
            )
            dropped = [
                str(row.id)
                for row in connection.execute(
                    delete(jobs).where(jobs.c.seq.in_(oldest)).returning(jobs.c.id)
                )
            ]
            counters.bump(connection, "render_jobs.pruned_by_limit", len(dropped), shard)
            counters.bump(connection, SIZE, -len(dropped), shard)
            size -= len(dropped)
            removed += dropped
        for_transaction(connection, _SIZE_SEEN, size)
        bodies = [event_body("job.removed", {"id": job_id}) for job_id in removed]
        append_events(connection, TOPIC, "job.removed", bodies)  # one statement for a slice
        if removed:  # /health's last_compaction_at confirms pruning (published contract)
            mark_compacted(connection)
        return removed

    def _size(self, connection: Connection, grown: int) -> int:
        """The history's size, this write's bump included. Read once per
        transaction: a grouped transaction (group_commit.py) then counts its
        own submits instead of reading the sum again for each. SQLite: exact,
        its transaction is the only writer; PostgreSQL: the committed bumps of
        other transactions since the read show at the next one (the limit is
        already allowed to pass by the submits in flight), and a size over the
        limit is read again before anything is pruned (``_excess_alone``)."""
        seen = in_transaction(connection, _SIZE_SEEN)
        if seen is not None:
            return int(seen) + grown
        return self._counters.read(connection, SIZE)

    def _excess_alone(self, connection: Connection) -> int:
        """PostgreSQL: the size again, once no other write is pruning.

        Each statement of a transaction reads what is committed when it starts:
        a size read before another write committed its prune, then a DELETE
        that sees that prune done, removes the same excess twice (the history
        fell below its limit), and two prunes removing rows in different orders
        could deadlock. Prunes therefore take turns (a lock held to the commit),
        and each counts what the previous one left. SQLite has one writer at a
        time already."""
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PRUNE_LOCK})
        return self._counters.read(connection, SIZE)

    def _expired_jobs(self, connection: Connection) -> list[str]:
        """Remove the jobs past retention, unless this process looked within the
        last RETENTION_EVERY_SECONDS; their ids."""
        now = self._clock()
        if now < self._next_retention:
            return []
        self._next_retention = now + RETENTION_EVERY_SECONDS
        wall = time.time()
        # Idempotency keys are for retries, not for ever: a day after its claim a
        # key is forgotten (an index range read, migration 0003).
        connection.execute(self._expired_keys, {"key_cutoff": wall - IDEMPOTENCY_KEY_HOURS * 3600})
        cutoff = wall - self.retention_hours * 3600.0
        return [str(row.id) for row in connection.execute(self._expired, {"cutoff": cutoff})]
