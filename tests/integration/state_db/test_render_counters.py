"""The history's size and pruned counters stay exact under concurrent writers, on
both backends, though each write bumps only one of the counter's shard rows."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from onepiece.domain.render import FrameCounts, JobRequest, JobStatus, RenderJob
from onepiece.state.db import schema
from onepiece.state.db.render_history import SqlRenderJobStore

WRITERS, EACH = 8, 12


def _job(job_id: str) -> RenderJob:
    at = datetime.now(UTC)
    request = JobRequest("builtin", "/s.json", "1-10", "/o.####.png", "mock")
    return RenderJob(
        job_id, request, f"mock-{job_id}", JobStatus.succeeded, at, at, FrameCounts(10)
    )


def test_concurrent_submits_keep_the_counts_exact(engine: Engine) -> None:
    limit = WRITERS * EACH // 2
    store = SqlRenderJobStore(engine, history_limit=limit, retention_hours=24)

    def writer(w: int) -> None:
        for n in range(EACH):
            store.add(_job(f"w{w}-{n}"))

    with ThreadPoolExecutor(WRITERS) as pool:
        list(pool.map(writer, range(WRITERS)))
    store.prune()  # the submits in flight at the end may pass the limit until a write
    with engine.connect() as connection:
        rows = connection.scalar(select(func.count()).select_from(schema.render_jobs))
    stats = store.stats()
    assert stats.size == rows == limit
    assert stats.pruned_by_limit == WRITERS * EACH - limit
    reopened = SqlRenderJobStore(engine, history_limit=limit, retention_hours=24)
    assert reopened.stats().size == limit  # the shards are summed, not recreated


def test_writes_at_the_history_limit_take_turns_pruning(engine: Engine) -> None:
    """At the limit every write prunes. Two prunes at once used to remove the
    same excess twice (one read the size before the other committed, then deleted
    after it) and, removing rows in different orders, to deadlock: on PostgreSQL
    a submit then failed. Several rounds of many writers, at the limit throughout."""
    writers, each, rounds = 16, 20, 4
    limit = writers * each // 4
    store = SqlRenderJobStore(engine, history_limit=limit, retention_hours=24)
    for round_ in range(rounds):

        def writer(w: int, round_: int = round_) -> None:
            for n in range(each):
                store.add(_job(f"r{round_}-w{w}-{n}"))

        with ThreadPoolExecutor(writers) as pool:
            list(pool.map(writer, range(writers)))  # a failed write raises here
        store.prune()  # the writes in flight at the end may pass the limit until a write
        with engine.connect() as connection:
            rows = connection.scalar(select(func.count()).select_from(schema.render_jobs))
        assert (store.stats().size, rows) == (limit, limit), f"round {round_}"
