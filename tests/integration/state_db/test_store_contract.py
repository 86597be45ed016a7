"""The store contract: every SQL store behaves the same on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest
from sqlalchemy.engine import Engine

from onepiece.errors import EntityNotFound
from onepiece.state.db import schema
from onepiece.state.db.caches import SqlMediaFactsStore, SqlProjectRegistryStore
from onepiece.state.db.errors import IdempotencyConflict
from onepiece.state.db.event_log import SqlEventLog
from onepiece.state.db.idempotency import SqlIdempotencyStore
from onepiece.state.db.ports import (
    DeliveryStore,
    EventLog,
    IdempotencyStore,
    IngestRunStore,
    MediaFact,
    MediaFactsStore,
    ProjectRegistryStore,
    ProjectSnapshot,
    ReconcileStore,
)
from onepiece.state.db.records import (
    MAX_RUNS,
    SqlDeliveryStore,
    SqlIngestRunStore,
    SqlReconcileStore,
    run_row,
)
from onepiece.state.deliveries import DeliveryRecord


def _run(run_id: str, status: str = "running", **extra: object) -> dict[str, object]:
    return {"id": run_id, "status": status, "started_at": "2026-01-01T00:00:00+00:00", **extra}


def test_ingest_runs_keep_order_and_replace_by_id(engine: Engine) -> None:
    store: IngestRunStore = SqlIngestRunStore(engine)
    store.save(_run("a", counts={"files": 1}))
    store.save(_run("b"))
    store.save(_run("a", "completed", counts={"files": 3}))
    store.save(_run("a", "completed", counts={"files": 3}))  # unchanged: no event
    assert [r["id"] for r in store.runs()] == ["a", "b"]
    events = [(e.type, e.data["run"]["id"]) for e in SqlEventLog(engine).since(0, topic="runs")]
    assert events == [("run.created", "a"), ("run.created", "b"), ("run.updated", "a")]
    assert store.get("a") == _run("a", "completed", counts={"files": 3})
    assert store.get("missing") is None


def test_a_run_left_running_by_a_dead_process_is_marked_failed(engine: Engine) -> None:
    finished = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    dead_pid = int(finished.stdout)
    store = SqlIngestRunStore(engine)
    host = socket.gethostname()
    store.save(_run("dead", pid=dead_pid, host=host, updated_at="2026-01-01T00:05:00+00:00"))
    store.save(_run("alive", pid=os.getpid(), host=host))
    store.save(_run("elsewhere", pid=dead_pid, host=f"not-{host}"))
    store.save(_run("next"))
    runs = {r["id"]: r for r in store.runs()}
    assert runs["dead"]["status"] == "failed"
    assert runs["dead"]["completed_at"] == "2026-01-01T00:05:00+00:00"
    assert str(dead_pid) in str(runs["dead"]["error"])
    assert runs["alive"]["status"] == runs["elsewhere"]["status"] == "running"


def test_oldest_finished_runs_are_dropped_beyond_the_limit(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(schema.ingest_runs.insert(), [run_row(_run("still-running"))])
        connection.execute(
            schema.ingest_runs.insert(),
            [run_row(_run(f"old-{n:04d}", "completed")) for n in range(MAX_RUNS)],
        )
    store = SqlIngestRunStore(engine)
    store.save(_run("newest"))
    ids = [r["id"] for r in store.runs()]
    assert len(ids) == MAX_RUNS
    assert ids[0] == "still-running" and "old-0000" not in ids and ids[-1] == "newest"
    events = [(e.type, e.data["run"]["id"]) for e in SqlEventLog(engine).since(0, topic="runs")]
    removed = [("run.removed", "old-0000"), ("run.removed", "old-0001")]  # 1,002 rows: 2 over
    assert events == [("run.created", "newest"), *removed]


def _delivery(delivery_id: str, project: str, created_at: str) -> DeliveryRecord:
    return DeliveryRecord(
        delivery_id,
        project,
        "client",
        created_at,
        2,
        100,
        "pkg",
        manifest_uris=["s3://b/m.json"],
        versions=["v1"],
    )


def test_deliveries_list_newest_first_per_project(engine: Engine) -> None:
    store: DeliveryStore = SqlDeliveryStore(engine)
    first = store.add(_delivery("d1", "AAA", "2026-01-01T10:00:00+00:00"))
    second = store.add(_delivery("d2", "AAA", "2026-01-02T10:00:00+00:00"))
    other = store.add(_delivery("d3", "BBB", "2026-01-03T10:00:00+00:00"))
    assert store.list("AAA") == [second, first]
    assert store.list() == [other, second, first]
    assert store.get("AAA", "d1") == first
    with pytest.raises(EntityNotFound):
        store.get("BBB", "d1")


def test_reconcile_keeps_the_latest_result_per_project_and_scope(engine: Engine) -> None:
    store: ReconcileStore = SqlReconcileStore(engine)
    store.record("AAA", "versions", {"total": 4, "missing": 4})
    store.record("AAA", "versions", {"total": 2, "missing": 2})
    store.record("AAA", "shots", {"total": 7})
    store.record("BBB", "versions", {"total": 1})
    results = store.read()
    assert set(results) == {"AAA:versions", "AAA:shots", "BBB:versions"}
    assert results["AAA:versions"]["summary"] == {"total": 2, "missing": 2}
    assert store.total() == 3  # version-scope results only


def test_project_registry_snapshot_replaces_the_list(engine: Engine) -> None:
    store: ProjectRegistryStore = SqlProjectRegistryStore(engine)
    assert store.load() is None
    rows = [
        {"code": "AAA", "name": "Show A", "configured": True, "in_tracker": True},
        {"code": "BBB", "name": "Show B", "configured": False, "in_tracker": True},
    ]
    store.save(ProjectSnapshot(rows, "2026-01-01T09:30:00+00:00"))
    assert store.load() == ProjectSnapshot(rows, "2026-01-01T09:30:00+00:00")
    store.save(ProjectSnapshot(rows[1:], None))
    assert store.load() == ProjectSnapshot(rows[1:], None)
    store.save(ProjectSnapshot([], None))
    assert store.load() == ProjectSnapshot([], None)  # saved empty is not "never saved"


def test_media_facts_are_kept_per_path(engine: Engine) -> None:
    store: MediaFactsStore = SqlMediaFactsStore(engine)
    assert store.get("/shows/a.mov") is None
    store.put("/shows/a.mov", MediaFact(10, 123, 4.5))
    store.put("/shows/a.mov", MediaFact(11, 456, None))
    store.put("/shows/b.mov", MediaFact(2**40, 2**62, 1.0))  # large files, ns mtimes
    assert store.get("/shows/a.mov") == MediaFact(11, 456, None)
    assert store.get("/shows/b.mov") == MediaFact(2**40, 2**62, 1.0)


def test_idempotency_claim_complete_and_replay(engine: Engine) -> None:
    store: IdempotencyStore = SqlIdempotencyStore(engine)
    assert store.claim("key-1", "hash-a") is None
    with pytest.raises(IdempotencyConflict, match="still being processed"):
        store.claim("key-1", "hash-a")
    store.complete("key-1", "job-42")
    assert store.claim("key-1", "hash-a") == "job-42"
    with pytest.raises(IdempotencyConflict, match="different request"):
        store.claim("key-1", "hash-b")


def test_a_released_claim_can_be_claimed_again(engine: Engine) -> None:
    store = SqlIdempotencyStore(engine)
    assert store.claim("key-2", "h") is None
    store.release("key-2")
    assert store.claim("key-2", "h") is None


def test_a_stale_claim_is_taken_over_once(engine: Engine) -> None:
    now = [1000.0]
    store = SqlIdempotencyStore(engine, stale_after=60, clock=lambda: now[0])
    assert store.claim("key-3", "h") is None
    now[0] += 61
    assert store.claim("key-3", "h") is None  # the first owner died without a job
    with pytest.raises(IdempotencyConflict):
        store.claim("key-3", "h")  # the new claim is fresh


def test_idempotency_keys_are_pruned_by_age(engine: Engine) -> None:
    now = [1000.0]
    store = SqlIdempotencyStore(engine, clock=lambda: now[0])
    store.claim("old", "h")
    now[0] += 100
    store.claim("new", "h")
    assert store.prune(older_than_seconds=50) == 1
    assert store.claim("old", "h") is None


def test_event_ids_come_from_the_database_and_replay_in_order(engine: Engine) -> None:
    log: EventLog = SqlEventLog(engine)
    assert log.last_id() == 0
    ids = [log.append("jobs", "job.created", {"n": n}) for n in range(3)]
    ids.append(log.append("runs", "run.updated", {"n": 3}))
    assert ids == sorted(ids) and len(set(ids)) == 4
    assert [e.data["n"] for e in log.since(ids[0])] == [1, 2, 3]
    assert [e.id for e in log.since(0, topic="jobs")] == ids[:3]
    assert log.since(ids[-1]) == []
    assert log.last_id() == ids[-1]


def test_event_ids_are_never_reused_after_pruning(engine: Engine) -> None:
    log = SqlEventLog(engine)
    ids = [log.append("jobs", "x", {}) for _ in range(3)]
    assert log.prune(keep=0) == 3
    assert log.append("jobs", "x", {}) > ids[-1]


def test_concurrent_appends_get_distinct_increasing_ids(engine: Engine) -> None:
    from concurrent.futures import ThreadPoolExecutor

    log = SqlEventLog(engine)

    def append_many(worker: int) -> list[int]:
        return [log.append("jobs", "x", {"worker": worker, "n": n}) for n in range(20)]

    with ThreadPoolExecutor(4) as pool:
        per_worker = list(pool.map(append_many, range(4)))
    ids = [event_id for ids in per_worker for event_id in ids]
    assert len(set(ids)) == 80
    assert all(ids == sorted(ids) for ids in per_worker)  # each writer sees its ids grow
    assert [e.id for e in log.since(0, limit=1000)] == sorted(ids)


def test_request_hash_ignores_key_order_and_sees_any_change() -> None:
    from onepiece.state.db.idempotency import request_hash

    body = {"dcc": "builtin", "frames": "1-10", "priority": 50}
    assert request_hash(body) == request_hash(dict(reversed(list(body.items()))))
    assert request_hash(body) != request_hash({**body, "frames": "1-11"})
    assert len(request_hash(body)) == 64


def test_readers_are_not_held_up_by_an_open_write_transaction(engine: Engine) -> None:
    """On SQLite writers take the lock up front; reads must still go through beside them."""
    log = SqlEventLog(engine)
    first = log.append("jobs", "x", {})
    with engine.begin() as writer:  # a write transaction left open
        writer.execute(
            schema.events.insert().values(topic="jobs", type="y", data={}, created_at=0.0)
        )
        assert [e.id for e in log.since(0)] == [first]  # the uncommitted row stays unseen
        assert SqlIngestRunStore(engine).runs() == []
    assert len(log.since(0)) == 2
