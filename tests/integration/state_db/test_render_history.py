"""The render history in the state database: the rules the history file had, on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from onepiece.domain.render import FarmJobState, FrameCounts, JobRequest, JobStatus, RenderJob
from onepiece.state.db.render_history import RETENTION_EVERY_SECONDS, SqlRenderJobStore


def _job(job_id: str, status: JobStatus = JobStatus.succeeded, *, age_hours: float = 0,
         farm: str = "local") -> RenderJob:  # fmt: skip
    at = datetime.now(UTC) - timedelta(hours=age_hours)
    request = JobRequest("builtin", "/s.json", "1-10", "/o.####.png", farm)
    return RenderJob(job_id, request, f"{farm}-{job_id}", status, at, at, FrameCounts(10))


def _store(engine: Engine, limit: int = 100, retention: float = 24.0) -> SqlRenderJobStore:
    return SqlRenderJobStore(engine, history_limit=limit, retention_hours=retention)


def test_jobs_survive_reopening_the_history(engine: Engine) -> None:
    store = _store(engine)
    first = _job("a", JobStatus.running)
    store.add(first)
    store.add(_job("b"))
    again = _store(engine)
    assert [j.id for j in again.recent()] == ["b", "a"]
    assert again.get("a") == first
    assert again.get("nope") is None
    assert [j.id for j in again.unfinished()] == ["a"]
    assert again.stats().size == 2


def test_the_history_limit_drops_the_oldest_finished_jobs(engine: Engine) -> None:
    store = _store(engine, limit=3)
    store.add(_job("running", JobStatus.running))
    removed = [store.add(_job(f"j{i}")) for i in range(5)]
    assert removed == [[], [], ["j0"], ["j1"], ["j2"]]
    assert [j.id for j in store.recent()] == ["j4", "j3", "running"]
    stats = store.stats()
    assert stats.size == 3 and stats.pruned_by_limit == 3


@pytest.mark.parametrize("limit", [100, 250, 1000])
def test_a_full_history_is_pruned_in_slices_and_never_holds_more_than_the_limit(
    engine: Engine, limit: int
) -> None:
    """Past the limit the oldest finished jobs go down to 1% under it, so a full
    history prunes once per slice of submits instead of on every one."""
    from onepiece.state.db.event_log import SqlEventLog

    store = _store(engine, limit=limit)
    store.add(_job("running", JobStatus.running, age_hours=1))  # the oldest, never dropped
    slice_ = limit // 100 + 1  # from limit + 1 down to limit - limit // 100
    for n in range(limit - 1):
        assert store.add(_job(f"j{n}")) == []
    assert store.stats().size == limit
    sizes, removed = [], []
    for n in range(limit - 1, limit - 1 + 3 * slice_):
        removed += store.add(_job(f"j{n}"))
        sizes.append(store.stats().size)
    # Three prunes of one slice each; the submits between them prune nothing.
    assert max(sizes) <= limit and min(sizes) == limit + 1 - slice_
    assert sorted(removed, key=lambda i: int(i[1:])) == [f"j{n}" for n in range(len(removed))]
    assert len(removed) == 3 * slice_ and store.stats().pruned_by_limit == len(removed)
    assert store.get("running") is not None
    events = [e for e in SqlEventLog(engine).since(0, limit=5000) if e.type == "job.removed"]
    assert sorted(e.data["job"]["job_id"] for e in events) == sorted(removed)


def test_retention_prunes_old_finished_jobs_at_start_and_on_save(engine: Engine) -> None:
    store = _store(engine, retention=1000)
    store.add(_job("old", age_hours=48))
    store.add(_job("old-but-running", JobStatus.running, age_hours=48))
    store.add(_job("new"))
    clock = [0.0]
    reopened = SqlRenderJobStore(
        engine, history_limit=100, retention_hours=24, clock=lambda: clock[0]
    )  # start-up prune
    assert {j.id for j in reopened.recent()} == {"old-but-running", "new"}
    assert reopened.stats().pruned_by_retention == 1
    # Looked for again on a save once RETENTION_EVERY_SECONDS have passed, not on every save.
    assert reopened.add(_job("old2", age_hours=30)) == []
    clock[0] += RETENTION_EVERY_SECONDS
    assert reopened.add(_job("new2")) == ["old2"]  # pruned on save
    assert reopened.stats().pruned_by_retention == 2 and reopened.stats().size == 3


def test_filters_counts_and_added_since(engine: Engine) -> None:
    store = _store(engine)
    store.add(_job("a", JobStatus.running, farm="local"))
    seq = store.last_seq()
    store.add(_job("b", JobStatus.failed, farm="mock"))
    store.add(_job("c", JobStatus.failed, farm="local"))
    assert [j.id for j in store.recent(status="failed")] == ["c", "b"]
    assert [j.id for j in store.recent(farm="local", limit=1)] == ["c"]
    assert store.counts() == {
        "jobs": 3, "by_status": {"failed": 2, "running": 1}, "by_farm": {"local": 2, "mock": 1},
    }  # fmt: skip
    assert [job.id for _, job in store.added_since(seq)] == ["b", "c"]
    assert store.added_since(store.last_seq()) == []


def test_updates_are_saved_and_unknown_jobs_are_reported_gone(engine: Engine) -> None:
    store = _store(engine)
    job = _job("a", JobStatus.running)
    store.add(job)
    state = FarmJobState("local-a", JobStatus.succeeded, FrameCounts(10, succeeded=10))
    kept, removed = store.update(job.apply(state, datetime.now(UTC)))
    assert kept and removed == []
    updated = store.get("a")
    assert updated is not None and updated.frames == state.frames and store.unfinished() == []
    assert store.update(_job("ghost"))[0] is False


def test_compaction_is_recorded_in_the_stats(engine: Engine) -> None:
    store = _store(engine)
    assert store.stats().last_compaction_at is None
    store.add(_job("a"))
    store.compact()
    stats = store.stats()
    assert stats.last_compaction_at is not None and stats.size == 1
    assert stats.to_dict()["history_limit"] == 100


def test_render_jobs_sync_full_fsyncs_every_commit_of_the_state_database(tmp_path: Path) -> None:
    from sqlalchemy import text

    from onepiece.config import Settings
    from onepiece.state.db.wiring import StateStores

    for sync, expected in (("normal", 1), ("full", 2)):  # SQLite: NORMAL=1, FULL=2
        settings = Settings(data_dir=tmp_path / sync, trafalgar={"render_jobs_sync": sync})
        stores = StateStores(settings)
        try:
            with stores.database.engine.connect() as connection:
                assert connection.scalar(text("PRAGMA synchronous")) == expected
        finally:
            stores.close()


def test_pruning_writes_removed_events_and_moves_last_compaction_at(engine: Engine) -> None:
    from onepiece.state.db.event_log import SqlEventLog

    store = _store(engine, limit=1)
    store.add(_job("first"))
    assert store.stats().last_compaction_at is None
    assert store.add(_job("second")) == ["first"]
    assert store.stats().last_compaction_at is not None  # /health confirms the pruning
    events = [(e.type, e.data["job"]["job_id"]) for e in SqlEventLog(engine).since(0)]
    assert events == [("job.created", "first"), ("job.created", "second"), ("job.removed", "first")]


def test_pages_and_farm_job_ids(engine: Engine) -> None:
    store = _store(engine, limit=1000)
    for n in range(5):
        store.add(_job(f"p{n}", farm="mock" if n % 2 else "local"))
    first, cursor = store.page(limit=2)
    assert [j.id for j in first] == ["p4", "p3"] and cursor is not None
    second, cursor = store.page(limit=2, before=cursor)
    assert [j.id for j in second] == ["p2", "p1"]
    last, cursor = store.page(limit=2, before=cursor)
    assert [j.id for j in last] == ["p0"] and cursor is None
    assert store.farm_job_ids("mock") == {"mock-p1", "mock-p3"}


def test_daily_counts_group_jobs_by_utc_day_and_status_since_a_time(engine: Engine) -> None:
    store = _store(engine, retention=24 * 30)
    jobs = [
        _job("today-ok"),
        _job("today-failed", JobStatus.failed),
        _job("old-ok", age_hours=24 * 3),
        _job("older-ok", age_hours=24 * 10),
    ]
    for job in jobs:
        store.add(job)
    since = (jobs[0].submitted_at - timedelta(days=5)).timestamp()
    expected: dict[tuple[str, str], int] = {}
    for job in jobs[:3]:
        key = (job.submitted_at.date().isoformat(), job.status.value)
        expected[key] = expected.get(key, 0) + 1
    rows = store.daily_counts(since)
    assert sorted(rows) == sorted((day, status, n) for (day, status), n in expected.items())


def test_a_cancel_asked_through_another_host_survives_a_poller_write(engine: Engine) -> None:
    from dataclasses import replace

    store = _store(engine)
    job = _job("shared", JobStatus.running)
    store.add(job)
    polled = store.get("shared")  # the owner's poller read it ...
    assert polled is not None
    store.update(replace(job, cancel_requested="stop from host b"))  # ... then B asked
    store.update(replace(polled, frames=FrameCounts(10, running=2)))  # the poller writes
    kept = store.get("shared")
    assert kept is not None and kept.cancel_requested == "stop from host b"
    assert kept.frames.running == 2
