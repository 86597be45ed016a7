"""A submit to a full history costs the same at any size: no statement it runs
sorts or scans the history (or the event log), on either backend.

The database's own query plan for every statement a pruning submit sends is
read back (SQLite's ``EXPLAIN QUERY PLAN``; PostgreSQL's ``EXPLAIN`` with
scans and sorts priced out, so the planner shows one only when no index can
serve). Before the ``finished, seq`` index, to find the oldest finished job
on every submit at the limit, SQLite sorted every finished job and
PostgreSQL walked the whole history in order, skipping the unfinished.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from onepiece.domain.render import FrameCounts, JobRequest, JobStatus, RenderJob
from onepiece.state.db.render_history import SqlRenderJobStore

_GROWING = ("render_jobs", "events")  # the tables that grow with the history


def _job(job_id: str, status: JobStatus = JobStatus.succeeded) -> RenderJob:
    now = datetime.now(UTC)
    request = JobRequest("builtin", "/s.json", "1-10", "/o.####.png", "local")
    return RenderJob(job_id, request, f"local-{job_id}", status, now, now, FrameCounts(10))


def _statements_of(engine: Engine, action: Any) -> list[tuple[str, Any]]:
    sent: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        sent.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        action()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return sent


def _plan(engine: Engine, statement: str, parameters: Any) -> list[str]:
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            return [str(row[-1]) for row in rows]
        connection.exec_driver_sql("SET enable_seqscan = off")
        connection.exec_driver_sql("SET enable_sort = off")
        rows = connection.exec_driver_sql(f"EXPLAIN {statement}", parameters)
        plan = [str(row[0]) for row in rows]
        connection.rollback()
        return plan


def _whole_table_work(line: str) -> bool:
    """A scan of a growing table, a sort, or rows read and then filtered out
    (an index read in the wrong order: PostgreSQL walked the primary key and
    skipped every unfinished job)."""
    growing = any(f"SCAN {table}" in line or f"Seq Scan on {table}" in line for table in _GROWING)
    node = line.strip().split("(")[0]
    return growing or "TEMP B-TREE" in line or "Sort" in node or node.startswith("Filter:")


def test_a_submit_to_a_full_history_reads_it_through_indexes(engine: Engine) -> None:
    store = SqlRenderJobStore(engine, history_limit=3, retention_hours=24)
    store.add(_job("running", JobStatus.running))  # never dropped: the scan must skip it
    for i in range(3):
        store.add(_job(f"done{i}"))
    sent = _statements_of(engine, lambda: store.add(_job("new", JobStatus.queued)))
    assert any(s.lstrip().upper().startswith("DELETE FROM RENDER_JOBS") for s, _ in sent), sent
    assert [j.id for j in store.recent()] == ["new", "done2", "running"]
    queries = ("SELECT", "INSERT", "UPDATE", "DELETE")
    plans = {
        statement: _plan(engine, statement, parameters)
        for statement, parameters in sent
        if statement.lstrip().upper().startswith(queries)
    }
    costly = {s: plan for s, plan in plans.items() if any(map(_whole_table_work, plan))}
    assert costly == {}
