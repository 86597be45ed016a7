"""Group commit, on both backends: the writes that wait while a group commits
go in the next transaction together; each caller gets its own answer, and only
once it is committed; a write that fails takes no other write down with it.

Each test holds the leader inside a first write until the others are queued
behind it (no timing: it waits for the queue), so the grouping is certain.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from onepiece.errors import IdempotencyConflict
from onepiece.state.db.group_commit import GroupWriter
from onepiece.state.db.idempotency import SqlIdempotencyStore
from onepiece.state.db.render_counters import pick_shard

SCRATCH = sa.Table(
    "group_commit_scratch", sa.MetaData(), sa.Column("name", sa.String(40), primary_key=True)
)


@pytest.fixture
def scratch(engine: Engine) -> Engine:
    SCRATCH.create(engine)
    return engine


def _names(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        return set(connection.scalars(sa.select(SCRATCH.c.name)))


def _insert(name: str) -> Callable[[Connection], str]:
    def write(connection: Connection) -> str:
        connection.execute(SCRATCH.insert().values(name=name))
        return name

    return write


class _Held:
    """Queues writes behind a first one that waits until they are all queued."""

    def __init__(self, writer: GroupWriter, engine: Engine) -> None:
        self.writer, self.engine = writer, engine
        self.pool = ThreadPoolExecutor(16)
        self.commits = 0
        sa.event.listen(engine, "commit", self._count)
        self._running, self._release = threading.Event(), threading.Event()

    def _count(self, _connection: Any) -> None:
        self.commits += 1

    def _first(self, connection: Connection) -> str:
        self._running.set()
        assert self._release.wait(30)
        return _insert("first")(connection)

    def run(self, writes: list[Callable[[Connection], Any]]) -> list[Future[Any]]:
        return self.call([functools.partial(self.writer.run, write) for write in writes])

    def call(self, calls: list[Callable[[], Any]]) -> list[Future[Any]]:
        first = self.pool.submit(self.writer.run, self._first)
        assert self._running.wait(30)
        futures = [self.pool.submit(call) for call in calls]
        deadline = time.monotonic() + 30
        while len(self.writer._queue) < len(calls):  # all queued behind the first
            assert time.monotonic() < deadline
            time.sleep(0.001)
        self._release.set()
        assert first.result(30) == "first"
        return futures

    def close(self) -> None:
        sa.event.remove(self.engine, "commit", self._count)
        self.pool.shutdown()


@pytest.fixture
def held(scratch: Engine) -> Iterator[_Held]:
    held = _Held(GroupWriter(scratch), scratch)
    yield held
    held.close()


def test_writes_waiting_behind_a_group_commit_in_one_transaction(held: _Held) -> None:
    futures = held.run([_insert(f"n{i}") for i in range(8)])
    assert [f.result(30) for f in futures] == [f"n{i}" for i in range(8)]
    assert held.commits == 2  # the first write's, then one for the eight behind it
    assert _names(held.engine) == {"first", *(f"n{i}" for i in range(8))}


def test_a_failing_write_fails_alone_and_leaves_nothing(held: _Held) -> None:
    def failing(connection: Connection) -> None:
        connection.execute(SCRATCH.insert().values(name="bad"))
        raise ValueError("this write fails")

    writes = [_insert("a"), failing, _insert("b"), _insert("a")]  # "a" twice: a real error too
    futures = held.run(writes)
    assert futures[0].result(30) == "a"
    with pytest.raises(ValueError, match="this write fails"):
        futures[1].result(30)
    assert futures[2].result(30) == "b"
    with pytest.raises(sa.exc.IntegrityError):
        futures[3].result(30)
    assert _names(held.engine) == {"first", "a", "b"}


def test_an_idempotency_refusal_does_not_undo_its_group(held: _Held) -> None:
    store = SqlIdempotencyStore(held.engine)
    store.claim("taken", "hash-1")
    held.commits = 0
    claims = [(f"key-{i}", "hash") for i in range(4)] + [("taken", "hash-2")]

    def claim(key: str, digest: str) -> Callable[[Connection], Any]:
        return lambda connection: store._claim(connection, key, digest, None, time.time())

    futures = held.run([claim(key, digest) for key, digest in claims])
    assert [f.result(30) for f in futures[:4]] == [None] * 4  # claimed, no job yet
    refusal = futures[4].result(30)
    assert isinstance(refusal, IdempotencyConflict)  # returned, not raised: the group stands
    assert held.commits == 2
    with pytest.raises(IdempotencyConflict):
        store.claim("taken", "hash-2")


def test_a_caller_is_answered_once_its_write_is_committed(scratch: Engine) -> None:
    writer = GroupWriter(scratch)
    writer.run(_insert("seen"))
    assert _names(scratch) == {"seen"}  # another connection sees it: committed


def test_a_write_alone_runs_in_its_callers_thread(scratch: Engine) -> None:
    writer = GroupWriter(scratch)
    threads = []

    def write(connection: Connection) -> str:
        threads.append(threading.current_thread())
        return _insert("alone")(connection)

    assert writer.run(write) == "alone"
    assert threads == [threading.current_thread()]  # no hand-off when nobody waits
    assert writer.run(_insert("next")) == "next"  # the lead was given back
    assert _names(scratch) == {"alone", "next"}


def test_a_grouped_write_cannot_wait_for_another(scratch: Engine) -> None:
    writer = GroupWriter(scratch)
    with pytest.raises(RuntimeError, match="cannot wait"):
        writer.run(lambda connection: writer.run(_insert("inner")))
    assert _names(scratch) == set()


def test_one_counter_shard_per_transaction(engine: Engine) -> None:
    """Grouped submits bump one shard per transaction: two groups bumping
    shards in different orders could deadlock each other on PostgreSQL."""
    for _ in range(5):
        with engine.begin() as connection:
            assert len({pick_shard(connection) for _ in range(50)}) == 1


class _BatchInsert:
    """A batched kind of write: one executemany per group; records each call's items."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def __call__(self, connection: Connection, names: list[str]) -> list[str]:
        self.calls.append(list(names))
        connection.execute(SCRATCH.insert(), [{"name": name} for name in names])
        return [name.upper() for name in names]


def test_batched_writes_of_a_group_go_in_one_call_beside_plain_writes(held: _Held) -> None:
    batch = _BatchInsert()
    calls: list[Callable[[], Any]] = []
    for i in range(6):
        calls.append(functools.partial(held.writer.run_batched, batch, f"b{i}"))
        if i % 2:
            calls.append(functools.partial(held.writer.run, _insert(f"p{i}")))
    futures = held.call(calls)
    results = [f.result(30) for f in futures]
    assert results == ["B0", "B1", "p1", "B2", "B3", "p3", "B4", "B5", "p5"]
    assert batch.calls == [[f"b{i}" for i in range(6)]]  # one call for the group's six
    assert held.commits == 2
    assert _names(held.engine) == {"first", *(f"b{i}" for i in range(6)), "p1", "p3", "p5"}


def test_a_batch_that_fails_is_retried_item_by_item(held: _Held) -> None:
    held.writer.run(_insert("taken"))
    held.commits = 0
    batch = _BatchInsert()
    names = ["x", "taken", "y"]
    futures = held.call([functools.partial(held.writer.run_batched, batch, n) for n in names])
    assert futures[0].result(30) == "X"
    with pytest.raises(sa.exc.IntegrityError):
        futures[1].result(30)
    assert futures[2].result(30) == "Y"
    assert batch.calls == [names, ["x"], ["taken"], ["y"]]
    assert _names(held.engine) == {"first", "taken", "x", "y"}


def test_a_batch_must_answer_every_item(held: _Held) -> None:
    def short(connection: Connection, names: list[str]) -> list[str]:
        return names[:1]

    futures = held.call([functools.partial(held.writer.run_batched, short, n) for n in "ab"])
    assert futures[0].result(30) == "a"  # alone, one item gives one answer
    assert futures[1].result(30) == "b"


def test_submits_batched_in_one_group_each_get_their_job_and_event(scratch: Engine) -> None:
    from datetime import UTC, datetime

    from onepiece.domain.render import FrameCounts, JobRequest, JobStatus, RenderJob
    from onepiece.state.db.event_log import SqlEventLog
    from onepiece.state.db.group_commit import group_writer
    from onepiece.state.db.render_history import SqlRenderJobStore

    held = _Held(group_writer(scratch), scratch)  # the store's own writer

    store = SqlRenderJobStore(held.engine, history_limit=5, retention_hours=24)
    at = datetime.now(UTC)
    request = JobRequest("builtin", "/s.json", "1-10", "/o.####.png", "mock")
    jobs = [
        RenderJob(f"j{i}", request, f"mock-{i}", JobStatus.succeeded, at, at, FrameCounts(10))
        for i in range(8)
    ]
    held.commits = 0
    futures = held.call([functools.partial(store.add, job) for job in jobs])
    pruned = [f.result(30) for f in futures]
    assert held.commits == 2
    assert sorted(sum(pruned, [])) == ["j0", "j1", "j2"]  # the limit of 5 held, reported once
    assert [job.id for job in store.recent(limit=10)] == [f"j{i}" for i in range(7, 2, -1)]
    created = [
        e.data["job"]["id"] for e in SqlEventLog(held.engine).since(0) if e.type == "job.created"
    ]
    assert created == [f"j{i}" for i in range(8)]  # in submit order
    assert store.stats().size == 5
    held.close()


def test_claims_batched_in_one_group_each_get_their_own_answer(scratch: Engine) -> None:
    from datetime import UTC, datetime

    from onepiece.domain.render import FrameCounts, JobRequest, JobStatus, RenderJob
    from onepiece.errors import IdempotencyInFlight
    from onepiece.state.db.group_commit import group_writer
    from onepiece.state.db.render_history import SqlRenderJobStore

    store = SqlIdempotencyStore(scratch)
    store.claim("done", "hash-d")
    store.complete("done", "job-done")
    store.claim("other", "hash-o")
    at = datetime.now(UTC)
    request = JobRequest("builtin", "/s.json", "1-10", "/o.####.png", "mock")
    recorded = RenderJob("job-r", request, "m", JobStatus.queued, at, at, FrameCounts(10))
    SqlRenderJobStore(scratch, history_limit=10, retention_hours=24).add(recorded)
    claims = [
        ("new-1", "h1", "job-1"),
        ("done", "hash-d", "job-x"),  # claimed and bound before: its job
        ("new-2", "h2", None),
        ("other", "hash-changed", None),  # another request under a used key: refused
        ("late", "hl", "job-r"),  # its job recorded, its key never bound: bound now
    ]
    held = _Held(group_writer(scratch), scratch)
    try:
        futures = held.call([functools.partial(store.claim, *claim) for claim in claims])
        answers = [f.exception(30) or f.result(30) for f in futures]
    finally:
        held.close()
    assert answers[:3] == [None, "job-done", None]
    assert isinstance(answers[3], IdempotencyConflict)
    assert answers[4] == "job-r"
    assert held.commits == 2  # the refusal did not undo the others
    with pytest.raises(IdempotencyInFlight):  # claimed, no job yet
        store.claim("new-1", "h1", "job-1")
    assert store.claim("late", "hl") == "job-r"


def test_one_key_twice_in_a_group_is_claimed_once(held: _Held) -> None:
    from onepiece.errors import IdempotencyInFlight

    store = SqlIdempotencyStore(held.engine)
    writer = held.writer
    # The store's claims go through the engine's shared writer; drive this one directly.
    calls = [
        functools.partial(writer.run_batched, store._claim_all, ("twice", "h", None, time.time()))
        for _ in range(3)
    ]
    answers = [f.result(30) for f in held.call(calls)]
    assert answers[0] is None  # the first claims it
    assert all(isinstance(a, IdempotencyInFlight) for a in answers[1:])
