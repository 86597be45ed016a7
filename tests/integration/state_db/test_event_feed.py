"""Issue 15 item 3: job events are written with the job, numbered by the
database, and every process's feed publishes them with those ids, so a client
can resume on another worker with ``Last-Event-ID``: nothing missed, nothing
twice. On SQLite and PostgreSQL; two engines stand for two processes."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from onepiece.domain.render import JobRequest, JobStatus, RenderJob
from onepiece.events import Broker, Event, Subscription
from onepiece.state.db.engine import create_state_engine
from onepiece.state.db.event_feed import EventFeed
from onepiece.state.db.event_log import SqlEventLog
from onepiece.state.db.render_history import SqlRenderJobStore


def _job(job_id: str, status: JobStatus = JobStatus.queued) -> RenderJob:
    now = datetime.now(UTC)
    request = JobRequest("builtin", "/s.json", "1-4", "/o/f.####.png", "mock")
    return RenderJob(job_id, request, f"mock-{job_id}", status, now, now)


def _feed(engine: Engine) -> tuple[EventFeed, Broker]:
    broker = Broker()
    feed = EventFeed(SqlEventLog(engine), broker, ("jobs",), interval=60)
    feed.prime()
    return feed, broker


async def _drain(sub: Subscription) -> list[Event]:
    await asyncio.sleep(0.05)  # the fan-out runs on this loop
    events = []
    while sub.queue:
        event = await sub.get()
        assert event is not None
        events.append(event)
    return events


def test_each_write_has_its_event_and_a_failed_write_has_none(engine: Engine) -> None:
    store = SqlRenderJobStore(engine, history_limit=100, retention_hours=24)
    log = SqlEventLog(engine)
    store.add(_job("a"))
    store.update(_job("a", JobStatus.running))
    with pytest.raises(IntegrityError):
        store.add(_job("a"))  # the same id again: rolled back, and its event with it
    assert [(e.type, e.data["job"]["job_id"]) for e in log.since(0)] == [
        ("job.created", "a"),
        ("job.updated", "a"),
    ]


def test_another_workers_feed_publishes_with_database_ids_and_resumes_anywhere(
    engine: Engine,
) -> None:
    other = create_state_engine(engine.url)  # a second process on the same database
    writer = SqlRenderJobStore(engine, history_limit=100, retention_hours=24)
    try:
        worker_a, broker_a = _feed(engine)
        worker_b, broker_b = _feed(other)

        async def scenario() -> None:
            sub_a, _ = broker_a.subscribe("jobs")
            writer.add(_job("j1"))
            writer.add(_job("j2"))
            assert worker_a.check() == 2 and worker_b.check() == 2
            seen = await _drain(sub_a)
            ids = [int(event.id) for event in seen]  # decimal database ids
            assert ids == sorted(ids) and [e.name for e in seen] == ["job.created"] * 2
            broker_a.unsubscribe(sub_a)

            # The client saw j1 only, then reconnects to worker B while j3 is written.
            writer.add(_job("j3"))
            worker_b.check()
            sub_b, replayed = broker_b.subscribe("jobs", last_event_id=seen[0].id)
            assert replayed
            worker_b.check()  # nothing new: no duplicate
            resumed = await _drain(sub_b)
            assert [e.data["job"]["job_id"] for e in resumed] == ["j2", "j3"]

            # A worker that started after all that replays from its primed buffer.
            late, late_broker = _feed(create_state_engine(engine.url))
            sub_c, replayed = late_broker.subscribe("jobs", last_event_id=seen[1].id)
            assert replayed
            assert [e.data["job"]["job_id"] for e in await _drain(sub_c)] == ["j3"]
            late.events.engine.dispose()

        asyncio.run(scenario())
    finally:
        other.dispose()


def test_a_client_ahead_of_this_worker_gets_each_event_once(engine: Engine) -> None:
    writer = SqlRenderJobStore(engine, history_limit=100, retention_hours=24)
    feed, broker = _feed(engine)

    async def scenario() -> None:
        writer.add(_job("x1"))
        writer.add(_job("x2"))
        newest = SqlEventLog(engine).last_id()
        # Another worker already sent x1 and x2; this one has not published them yet.
        sub, replayed = broker.subscribe("jobs", last_event_id=str(newest))
        assert replayed
        writer.add(_job("x3"))
        feed.check()
        assert [e.data["job"]["job_id"] for e in await _drain(sub)] == ["x3"]

    asyncio.run(scenario())


def test_ingest_run_writes_reach_the_runs_stream_of_another_worker(engine: Engine) -> None:
    from onepiece.state.db.records import SqlIngestRunStore

    cli = SqlIngestRunStore(create_state_engine(engine.url))  # a CLI ingest elsewhere
    broker = Broker()
    feed = EventFeed(SqlEventLog(engine), broker, ("jobs", "runs"), interval=60)
    feed.prime()

    async def scenario() -> list[Event]:
        sub, _ = broker.subscribe("runs")
        cli.save({"id": "ingest-1", "status": "running", "counts": {}})
        cli.save({"id": "ingest-1", "status": "completed", "counts": {"files": 2}})
        feed.check()
        return await _drain(sub)

    try:
        seen = asyncio.run(scenario())
    finally:
        cli.engine.dispose()
    assert [(e.name, e.data["run"]["status"]) for e in seen] == [
        ("run.created", "running"),
        ("run.updated", "completed"),
    ]
    assert all(event.id.isdigit() for event in seen)


def test_on_postgresql_a_later_id_committed_first_waits_for_the_earlier_one(pg_url: str) -> None:
    """A sequence value is taken before its transaction commits: the feed must not
    publish id N+1 and then skip N when N's transaction commits a moment later."""
    from onepiece.state.db.event_log import append_event
    from onepiece.state.db.migrate import upgrade
    from tests.integration.state_db.conftest import _empty_pg

    _empty_pg(pg_url)
    engine = create_state_engine(pg_url)
    upgrade(engine)
    try:
        feed, broker = _feed(engine)

        async def scenario() -> list[Event]:
            sub, _ = broker.subscribe("jobs")
            slow = engine.connect()
            slow_transaction = slow.begin()
            append_event(slow, "jobs", "job.created", {"event": "job.created", "n": 1})
            with engine.begin() as fast:
                append_event(fast, "jobs", "job.created", {"event": "job.created", "n": 2})
            assert feed.check() == 0  # n=2 is visible, n=1 not yet: wait for it
            slow_transaction.commit()
            slow.close()
            assert feed.check() == 2
            return await _drain(sub)

        seen = asyncio.run(scenario())
        assert [event.data["n"] for event in seen] == [1, 2]
        assert int(seen[0].id) < int(seen[1].id)
    finally:
        engine.dispose()
