"""The files earlier versions wrote are imported once, as they were, on both backends."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from onepiece.domain.render import FrameCounts, JobRequest, JobStatus, RenderJob
from onepiece.errors import ConfigError
from onepiece.services.dashboard.project_registry import ProjectRegistry
from onepiece.state.db import schema
from onepiece.state.db.caches import SqlMediaFactsStore, SqlProjectRegistryStore
from onepiece.state.db.legacy import LegacySources, import_legacy, imports_done
from onepiece.state.db.ports import MediaFact
from onepiece.state.db.records import SqlDeliveryStore, SqlIngestRunStore, SqlReconcileStore
from onepiece.state.deliveries import DeliveryRecord, DeliveryRegistry
from onepiece.state.ingest_runs import IngestRunRegistry, RunRecorder
from onepiece.state.reconcile_results import ReconcileResults
from tests.legacy_render_history import RenderJobStore
from tests.tracker_double import RecordingTracker


def _sources(folder: Path) -> LegacySources:
    return LegacySources(
        ingest_runs=folder / "ingest-runs.json",
        deliveries=folder / "deliveries.json",
        reconcile_results=folder / "reconcile-results.json",
        projects=folder / "dashboard-projects.json",
        media_durations=folder / "cache" / "media-durations.json",
        render_jobs=folder / "render-jobs.db",
    )


@pytest.fixture
def old_files(tmp_path: Path) -> LegacySources:
    """Files written by the current version's own writers."""
    sources = _sources(tmp_path / "data")
    runs = IngestRunRegistry(sources.ingest_runs)
    for n in range(3):
        recorder = RunRecorder.start(runs, project="AAA", source=f"/in/{n}")
        recorder.finish("completed", {"files": n}, {"copied": n})
    RunRecorder.start(runs, project="BBB", source="/in/running")
    deliveries = DeliveryRegistry(sources.deliveries)
    for n in range(2):
        deliveries.add(
            DeliveryRecord(f"d{n}", "AAA", "client", f"2026-01-0{n + 1}T00:00:00+00:00", 1, 9, "p")
        )
    results = ReconcileResults(sources.reconcile_results)
    results.record("AAA", "versions", {"total": 3, "missing": 3})
    results.record("AAA", "shots", {"total": 1})
    tracker = RecordingTracker()
    tracker.add_project("AAA", "Show A")
    at = datetime(2026, 1, 1, 9, 30, tzinfo=UTC)
    ProjectRegistry(lambda: tracker, ["CFG"], sources.projects, now=lambda: at).sync()
    sources.media_durations.parent.mkdir(parents=True)
    sources.media_durations.write_text(
        json.dumps({"/m/a.mov": {"size": 10, "mtime_ns": 5, "seconds": 2.5}})
    )
    history = RenderJobStore(sources.render_jobs, history_limit=100, retention_hours=24)
    for n, status in enumerate([JobStatus.succeeded, JobStatus.running, JobStatus.failed]):
        history.add(_job(f"job-{n}", status))
    history.close()
    return sources


def _job(job_id: str, status: JobStatus) -> RenderJob:
    at = datetime.now(UTC).replace(microsecond=0)
    request = JobRequest("builtin", "/s.json", "1-10", "/o.####.png", "local", user="ana")
    return RenderJob(job_id, request, f"local-{job_id}", status, at, at, FrameCounts(10))


def _file_bytes(sources: LegacySources) -> dict[str, bytes]:
    # The render history was closed (its WAL folded in): its main file says it all.
    return {name: Path(path).read_bytes() for name, path in asdict(sources).items()}


def test_every_file_is_imported_as_it_was(engine: Engine, old_files: LegacySources) -> None:
    before = _file_bytes(old_files)
    reports = {r.name: r for r in import_legacy(engine, old_files)}
    assert {name: r.imported for name, r in reports.items()} == {
        "ingest_runs": 4,
        "deliveries": 2,
        "reconcile_results": 2,
        "projects": 2,
        "media_durations": 1,
        "render_jobs": 3,
    }
    assert SqlIngestRunStore(engine).runs() == IngestRunRegistry(old_files.ingest_runs).runs()
    assert SqlDeliveryStore(engine).list() == DeliveryRegistry(old_files.deliveries).list()
    assert SqlReconcileStore(engine).read() == ReconcileResults(old_files.reconcile_results).read()
    snapshot = SqlProjectRegistryStore(engine).load()
    saved = json.loads(old_files.projects.read_text())
    assert snapshot is not None
    assert (snapshot.projects, snapshot.synced_at) == (saved["projects"], saved["synced_at"])
    assert SqlMediaFactsStore(engine).get("/m/a.mov") == MediaFact(10, 5, 2.5)
    assert _file_bytes(old_files) == before  # read, never changed
    with engine.connect() as connection:
        table = schema.render_jobs
        rows = connection.execute(sa.select(table).order_by(table.c.seq)).all()
    original = RenderJobStore(old_files.render_jobs, history_limit=100, retention_hours=24)
    assert [RenderJob.from_dict(r.data) for r in rows] == original.recent()[::-1]
    assert [(r.status, r.finished) for r in rows] == [
        ("succeeded", True), ("running", False), ("failed", True)
    ]  # fmt: skip
    original.close()


def test_a_second_import_changes_nothing(engine: Engine, old_files: LegacySources) -> None:
    import_legacy(engine, old_files)
    IngestRunRegistry(old_files.ingest_runs).save({"id": "later", "status": "completed"})
    again = import_legacy(engine, old_files)
    assert all(r.already_done and r.imported == 0 for r in again)
    assert len(SqlIngestRunStore(engine).runs()) == 4
    assert {entry["name"] for entry in imports_done(engine)} == {r.name for r in again}


def test_concurrent_first_starts_import_once(engine: Engine, old_files: LegacySources) -> None:
    with ThreadPoolExecutor(4) as pool:
        all_reports = list(pool.map(lambda _: import_legacy(engine, old_files), range(4)))
    imported = sum(
        r.imported for reports in all_reports for r in reports if r.name == "ingest_runs"
    )
    assert imported == 4
    with engine.connect() as connection:
        count = connection.scalar(sa.select(sa.func.count()).select_from(schema.ingest_runs))
    assert count == 4


def test_missing_files_import_as_nothing(engine: Engine, tmp_path: Path) -> None:
    reports = import_legacy(engine, _sources(tmp_path / "nothing-here"))
    assert all(r.missing and r.imported == 0 for r in reports)
    assert SqlProjectRegistryStore(engine).load() is None


def test_an_unparsable_record_file_stops_the_import_naming_it(
    engine: Engine, old_files: LegacySources
) -> None:
    old_files.deliveries.write_text('{"deliveries": [')
    with pytest.raises(ConfigError) as caught:
        import_legacy(engine, old_files)
    assert str(old_files.deliveries) in caught.value.message
    assert SqlDeliveryStore(engine).list() == []
    assert "deliveries" not in {entry["name"] for entry in imports_done(engine)}
    old_files.deliveries.write_text('{"deliveries": []}')  # fixed: the next run imports it
    reports = {r.name: r for r in import_legacy(engine, old_files)}
    assert not reports["deliveries"].already_done


def test_a_render_history_that_is_not_a_database_stops_the_import(
    engine: Engine, old_files: LegacySources
) -> None:
    old_files.render_jobs.write_bytes(b"not a database" * 100)
    with pytest.raises(ConfigError) as caught:
        import_legacy(engine, old_files)
    assert str(old_files.render_jobs) in caught.value.message


def test_an_unreadable_media_cache_imports_as_empty(
    engine: Engine, old_files: LegacySources
) -> None:
    old_files.media_durations.write_text("not json")
    reports = {r.name: r for r in import_legacy(engine, old_files)}
    assert reports["media_durations"].imported == 0


def test_imported_render_jobs_are_counted_by_the_history(
    engine: Engine, old_files: LegacySources
) -> None:
    from onepiece.state.db.render_history import SqlRenderJobStore

    early = SqlRenderJobStore(engine, history_limit=100, retention_hours=24)  # before the import
    import_legacy(engine, old_files)
    assert early.stats().size == 3 == early.counts()["jobs"]
    assert SqlRenderJobStore(engine, history_limit=100, retention_hours=24).stats().size == 3
