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
