"""The SQLite job history: persistence, history limit, retention, stats."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from onepiece.domain.render import FarmJobState, FrameCounts, JobRequest, JobStatus, RenderJob
from onepiece.errors import ConfigError
from onepiece.state.render_jobs import RenderJobStore


def _job(job_id: str, status: JobStatus = JobStatus.succeeded, *, age_hours: float = 0,
         farm: str = "local") -> RenderJob:  # fmt: skip
    at = datetime.now(UTC) - timedelta(hours=age_hours)
    request = JobRequest("builtin", "/s.json", "1-10", "/o.####.png", farm)
    return RenderJob(job_id, request, f"{farm}-{job_id}", status, at, at, FrameCounts(10))


def _store(path: Path, limit: int = 100, retention: float = 24.0) -> RenderJobStore:
    return RenderJobStore(path, history_limit=limit, retention_hours=retention)


def test_jobs_survive_reopening_the_history(tmp_path: Path) -> None:
    store = _store(tmp_path / "jobs.db")
    store.add(_job("a", JobStatus.running))
    store.add(_job("b"))
    store.close()
    again = _store(tmp_path / "jobs.db")
    assert [j.id for j in again.recent()] == ["b", "a"]
    assert again.get("a").status is JobStatus.running
    assert [j.id for j in again.unfinished()] == ["a"]


def test_the_history_limit_drops_the_oldest_finished_jobs(tmp_path: Path) -> None:
    store = _store(tmp_path / "jobs.db", limit=3)
    store.add(_job("running", JobStatus.running))
    removed = [store.add(_job(f"j{i}")) for i in range(5)]
    assert removed == [[], [], ["j0"], ["j1"], ["j2"]]
    assert [j.id for j in store.recent()] == ["j4", "j3", "running"]
    stats = store.stats()
    assert stats.size == 3 and stats.pruned_by_limit == 3


def test_retention_prunes_old_finished_jobs_at_start_and_on_save(tmp_path: Path) -> None:
    store = _store(tmp_path / "jobs.db", retention=1000)
    store.add(_job("old", age_hours=48))
    store.add(_job("old-but-running", JobStatus.running, age_hours=48))
    store.add(_job("new"))
    store.close()
    reopened = _store(tmp_path / "jobs.db", retention=24)  # start-up prune
    assert {j.id for j in reopened.recent()} == {"old-but-running", "new"}
    assert reopened.stats().pruned_by_retention == 1
    assert reopened.add(_job("old2", age_hours=30)) == ["old2"]  # pruned on save
    assert reopened.stats().pruned_by_retention == 2
    assert reopened.stats().last_compaction_at is not None


def test_filters_and_counts(tmp_path: Path) -> None:
    store = _store(tmp_path / "jobs.db")
    store.add(_job("a", JobStatus.running, farm="local"))
    store.add(_job("b", JobStatus.failed, farm="mock"))
    store.add(_job("c", JobStatus.failed, farm="local"))
    assert [j.id for j in store.recent(status="failed")] == ["c", "b"]
    assert [j.id for j in store.recent(farm="local", limit=1)] == ["c"]
    assert store.counts() == {
        "jobs": 3, "by_status": {"failed": 2, "running": 1}, "by_farm": {"local": 2, "mock": 1},
    }  # fmt: skip


def test_updates_are_saved_and_unknown_jobs_are_reported_gone(tmp_path: Path) -> None:
    store = _store(tmp_path / "jobs.db")
    job = _job("a", JobStatus.running)
    store.add(job)
    state = FarmJobState("local-a", JobStatus.succeeded, FrameCounts(10, succeeded=10))
    kept, removed = store.update(job.apply(state, datetime.now(UTC)))
    assert kept and removed == []
    assert store.get("a").frames == state.frames and store.unfinished() == []
    assert store.update(_job("ghost"))[0] is False


def test_a_file_that_is_not_a_database_is_a_clear_config_error(tmp_path: Path) -> None:
    path = tmp_path / "jobs.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(ConfigError, match="not a readable SQLite database"):
        _store(path)


def test_daily_counts_group_jobs_by_utc_day_and_status_since_a_time(tmp_path: Path) -> None:
    store = _store(tmp_path / "jobs.db", retention=24 * 30)
    jobs = [
        _job("today-ok"),
        _job("today-failed", JobStatus.failed),
        _job("old-ok", age_hours=24 * 3),
        _job("older-ok", age_hours=24 * 10),
    ]
    for job in jobs:
        store.add(job)
    since = (jobs[0].submitted_at - timedelta(days=5)).timestamp()

    rows = store.daily_counts(since)

    expected: dict[tuple[str, str], int] = {}
    for job in jobs[:3]:
        key = (job.submitted_at.date().isoformat(), job.status.value)
        expected[key] = expected.get(key, 0) + 1
    assert sorted(rows) == sorted((day, status, n) for (day, status), n in expected.items())
