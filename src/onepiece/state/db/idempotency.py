"""``Idempotency-Key`` claims for ``POST /jobs``: one job per key, whoever races.

The key is the primary key: of several processes claiming it at once exactly
one INSERT lands (PostgreSQL makes the others wait for its commit, SQLite's
``BEGIN IMMEDIATE`` queues them), and the others read the winner's row. A
claim whose owner died before recording its job (no ``job_id`` after
``stale_after`` seconds) may be taken over, by one claimant only: the takeover
is conditional on the row still being the stale one.

The key is bound to its job in the job's own transaction
(``SqlRenderJobStore.add``), so a submit is two commits: this claim, then the
job with its binding (each shared with the other submits' writes waiting at
that moment: group_commit.py). A claim that carries the id its job will have also
looks that job up in the claim's transaction: a job recorded under that id
whose key was never bound (written by a version that bound in a third commit
and was killed before it) is bound here and returned, never made twice.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.engine import Connection, Engine

from onepiece.state.db import schema
from onepiece.state.db.errors import IdempotencyConflict, IdempotencyInFlight
from onepiece.state.db.group_commit import group_writer
from onepiece.state.db.sql import insert_statement

STALE_AFTER_SECONDS = 60.0


def request_hash(body: Mapping[str, Any]) -> str:
    """A fingerprint of a request body: the same submission always hashes the same."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class SqlIdempotencyStore:
    def __init__(
        self,
        engine: Engine,
        *,
        stale_after: float = STALE_AFTER_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.engine = engine
        self.stale_after = stale_after
        self.clock = clock
        # Built once: a submit's two statements then cost their execution, not
        # their construction (bench/serve_submits.py).
        table = schema.idempotency_keys
        jobs = schema.render_jobs
        self._recorded = select(jobs.c.id).where(jobs.c.id == bindparam("job_id"))
        # A new claim also says, in the same statement, whether its job is recorded.
        self._claim_new = (
            insert_statement(engine.dialect.name, table)
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(
                table.c.key,
                select(jobs.c.id)
                .where(jobs.c.id == bindparam("intended_id"))
                .scalar_subquery()
                .label("recorded"),
            )
        )
        # A group's new claims in one statement: the keys that were free come back.
        self._claim_many = (
            insert_statement(engine.dialect.name, table)
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(table.c.key)
        )
        self._recorded_among = select(jobs.c.id).where(
            jobs.c.id.in_(bindparam("job_ids", expanding=True))
        )
        self._select = select(table).where(table.c.key == bindparam("key"))
        self._complete = (
            update(table)
            .where(table.c.key == bindparam("claimed_key"))
            .values(job_id=bindparam("job_id"))
        )

    def claim(self, key: str, request_hash: str, job_id: str | None = None) -> str | None:
        claim = (key, request_hash, job_id, self.clock())
        outcome = group_writer(self.engine).run_batched(self._claim_all, claim)
        if isinstance(outcome, IdempotencyConflict):  # refused without failing the group
            raise outcome
        return outcome

    def _claim_all(
        self, connection: Connection, claims: list[tuple[str, str, str | None, float]]
    ) -> list[str | None | IdempotencyConflict]:
        """The claims of one group: the new keys in one statement, the others one by one."""
        keys = [key for key, _, _, _ in claims]
        if len(claims) == 1 or len(set(keys)) < len(keys):  # a key twice: which one won?
            return [self._claim(connection, *claim) for claim in claims]
        rows = [{"key": k, "request_hash": h, "claimed_at": t} for k, h, _, t in claims]
        new = set(connection.execute(self._claim_many, rows).scalars())
        intended = [job_id for key, _, job_id, _ in claims if key in new and job_id]
        recorded = set()
        if intended:
            recorded = set(connection.scalars(self._recorded_among, {"job_ids": intended}))
        outcomes: list[str | None | IdempotencyConflict] = []
        for key, digest, job_id, now in claims:
            if key not in new:
                outcomes.append(self._claimed_before(connection, key, digest, job_id, now))
            elif job_id in recorded:  # recorded, its key never bound (see the module doc)
                connection.execute(self._complete, {"claimed_key": key, "job_id": job_id})
                outcomes.append(job_id)
            else:
                outcomes.append(None)
        return outcomes

    def _claim(
        self, connection: Connection, key: str, request_hash: str, job_id: str | None, now: float
    ) -> str | None | IdempotencyConflict:
        values = {
            "key": key,
            "request_hash": request_hash,
            "claimed_at": now,
            "intended_id": job_id,
        }
        claimed = connection.execute(self._claim_new, values).first()
        if claimed is not None:
            if claimed.recorded is None:
                return None
            connection.execute(self._complete, {"claimed_key": key, "job_id": job_id})
            return job_id
        return self._claimed_before(connection, key, request_hash, job_id, now)

    def _claimed_before(
        self, connection: Connection, key: str, request_hash: str, job_id: str | None, now: float
    ) -> str | None | IdempotencyConflict:
        """A key that was already claimed: its job, a refusal, or a stale claim taken over."""
        table = schema.idempotency_keys
        row = connection.execute(self._select, {"key": key}).one()
        if row.request_hash != request_hash:
            return IdempotencyConflict(
                "this Idempotency-Key was used for a different request",
                hint="use a new key for a new submission",
            )
        if row.job_id is not None:
            return str(row.job_id)
        if row.claimed_at <= now - self.stale_after:
            taken = connection.execute(
                update(table)
                .where(table.c.key == key, table.c.job_id.is_(None))
                .where(table.c.claimed_at == row.claimed_at)
                .values(claimed_at=now)
                .returning(table.c.key)
            ).first()
            if taken is not None:
                return self._already_recorded(connection, key, job_id)
        return IdempotencyInFlight(
            "a request with this Idempotency-Key is still being processed",
            hint="retry in a moment: the same key then returns its job",
        )

    def _already_recorded(self, connection: Connection, key: str, job_id: str | None) -> str | None:
        """The claim is ours: ``job_id`` when that job is recorded already (then bound)."""
        if job_id is None or connection.execute(self._recorded, {"job_id": job_id}).first() is None:
            return None
        connection.execute(self._complete, {"claimed_key": key, "job_id": job_id})
        return job_id

    def complete(self, key: str, job_id: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(self._complete, {"claimed_key": key, "job_id": job_id})

    def release(self, key: str) -> None:
        table = schema.idempotency_keys
        with self.engine.begin() as connection:
            connection.execute(delete(table).where(table.c.key == key, table.c.job_id.is_(None)))

    def prune(self, older_than_seconds: float) -> int:
        """Forget keys claimed longer ago than that; returns how many."""
        table = schema.idempotency_keys
        cutoff = self.clock() - older_than_seconds
        with self.engine.begin() as connection:
            result = connection.execute(delete(table).where(table.c.claimed_at < cutoff))
        return int(result.rowcount)


if TYPE_CHECKING:  # the store satisfies its port (checked by mypy)
    from onepiece.state.db.ports import IdempotencyStore

    _store: type[IdempotencyStore] = SqlIdempotencyStore
