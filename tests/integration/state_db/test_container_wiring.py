"""Issue 15: the container keeps its records in the state database: the
default ``state.db`` without a URL, else the URL's (both backends)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from onepiece.state.db.adapters import DbIngestRunRegistry, DbRunRegistryView
from onepiece.state.deliveries import DeliveryRecord
from onepiece.state.ingest_runs import RunRecorder
from tests.integration.state_db.conftest import container_for


def _delivery(delivery_id: str) -> DeliveryRecord:
    return DeliveryRecord(
        id=delivery_id,
        project="demo",
        context="client",
        created_at="2026-12-06T04:00:00+00:00",
        entry_count=0,
        total_bytes=0,
        package="pkg",
    )


def test_without_a_database_url_records_live_in_the_default_state_db(tmp_path: Path) -> None:
    container = container_for(tmp_path, None)
    settings = container.settings
    settings.ingest_registry_path.parent.mkdir(parents=True, exist_ok=True)
    old_run = {"id": "ingest-old", "status": "completed", "started_at": "2026-01-01T00:00:00"}
    settings.ingest_registry_path.write_text(json.dumps({"format": 1, "runs": [old_run]}))
    try:
        assert isinstance(container.ingest_runs, DbIngestRunRegistry)
        assert not settings.state_db_path.exists()  # nothing opened until first use
        recorder = RunRecorder.start(container.ingest_runs, interval=0.0, project="demo")
        recorder.finish("completed", {"files": 1}, {})
        container.deliveries.add(_delivery("dlv-1"))
        assert settings.state_db_path.exists()
        assert container.state_db.backend == "sqlite"
        ids = [run["id"] for run in container.ingest_runs.runs()]
        assert ids == ["ingest-old", recorder.run_id]  # the earlier file, imported once
        # The files are import sources only: nothing new was written to them.
        assert json.loads(settings.ingest_registry_path.read_text())["runs"] == [old_run]
        assert not settings.delivery_registry_path.exists()
    finally:
        container.close()


def test_records_go_to_the_state_database_and_old_files_carry_over(
    tmp_path: Path, db_url: str
) -> None:
    container = container_for(tmp_path, db_url)
    settings = container.settings
    settings.ingest_registry_path.parent.mkdir(parents=True, exist_ok=True)
    old_run = {"id": "ingest-old", "status": "completed", "started_at": "2026-01-01T00:00:00"}
    settings.ingest_registry_path.write_text(json.dumps({"format": 1, "runs": [old_run]}))
    try:
        registry = container.ingest_runs
        assert isinstance(registry, DbIngestRunRegistry)
        view = container.runs_view
        assert isinstance(view, DbRunRegistryView)
        assert [run["id"] for run in view.list()] == ["ingest-old"]  # imported on first use

        recorder = RunRecorder.start(registry, interval=0.0, project="demo")
        assert view.get(recorder.run_id)["status"] == "running"
        recorder.progress({"files": 3})  # same second as the start: still seen
        assert view.get(recorder.run_id)["counts"] == {"files": 3}
        recorder.finish("completed", {"files": 3}, {})
        assert view.get(recorder.run_id)["status"] == "completed"
        reads = view.reads
        view.list()
        assert view.reads == reads  # nothing changed: nothing re-read

        container.deliveries.add(_delivery("dlv-1"))
        assert [d.id for d in container.deliveries.list("demo")] == ["dlv-1"]
        container.reconcile_results.record("demo", "versions", {"total": 4})
        assert container.reconcile_results.total() == 4
        assert container.dashboard.sources.ingest_runs is not None
        assert container.dashboard.metrics().value.ingest.total == 2

        from onepiece.state.db.legacy import imports_done

        imported = {entry["name"] for entry in imports_done(container.state_db.engine)}
        assert "ingest_runs" in imported
        # No history file existed: nothing recorded, so one that appears is imported then.
        assert "render_jobs" not in imported
        # The files are import sources only: nothing new was written to them.
        assert json.loads(settings.ingest_registry_path.read_text())["runs"] == [old_run]
        assert not settings.delivery_registry_path.exists()
    finally:
        container.close()

    again = container_for(tmp_path, db_url)  # another process: the same records
    try:
        assert {run["id"] for run in again.ingest_runs.runs()} == {"ingest-old", recorder.run_id}
        assert again.reconcile_results.total() == 4
    finally:
        again.close()


def test_the_project_list_and_media_facts_live_in_the_database(tmp_path: Path, db_url: str) -> None:
    from onepiece.domain.entities import Version

    container = container_for(tmp_path, db_url)
    try:
        registry = container.dashboard.registry
        state = registry.sync()  # the local tracker: whatever it lists, saved
        loaded = registry.load_file()
        assert [p.code for p in loaded.projects] == [p.code for p in state.projects]
        assert loaded.source == "file" and loaded.synced_at == state.synced_at
        assert not container.settings.dashboard_projects_path.exists()

        clip = tmp_path / "clip.mov"
        clip.write_bytes(b"not really a movie")
        version = Version(project="demo", code="v001", path=str(clip))
        container.dashboard._durations.durations([version])
        from onepiece.state.db.caches import SqlMediaFactsStore

        fact = SqlMediaFactsStore(container.state_db.engine).get(str(clip))
        assert fact is not None and fact.size == clip.stat().st_size
        assert not (container.settings.data_dir / "cache" / "media-durations.json").exists()
    finally:
        container.close()


@pytest.mark.parametrize("damage", [b"", b"garbage, not a database" * 10])
def test_a_damaged_state_database_is_refused_on_first_use(tmp_path: Path, damage: bytes) -> None:
    from onepiece.state.db.errors import DatabaseDamaged

    path = tmp_path / "state.db"
    path.write_bytes(damage)
    container = container_for(tmp_path, f"sqlite:///{path}")
    try:
        with pytest.raises(DatabaseDamaged, match=str(path)):
            container.ingest_runs.runs()
        assert path.read_bytes() == damage
    finally:
        container.close()


def test_runs_stay_served_as_stale_while_the_database_cannot_be_read(
    tmp_path: Path, db_url: str
) -> None:
    import sqlalchemy as sa

    container = container_for(tmp_path, db_url)
    try:
        registry = container.ingest_runs
        registry.save({"id": "ingest-1", "status": "completed", "started_at": "2026-12-06"})
        view = container.runs_view
        assert [run["id"] for run in view.list()] == ["ingest-1"]
        other = sa.create_engine(db_url.replace("postgresql://", "postgresql+psycopg://", 1))
        with other.begin() as connection:  # someone breaks the database under the service
            connection.exec_driver_sql("DROP TABLE ingest_runs")
            connection.exec_driver_sql("DELETE FROM state_meta")
        other.dispose()
        snapshot = view.snapshot()  # no exception: the run feed thread keeps running
        assert snapshot.stale and [run["id"] for run in snapshot.runs] == ["ingest-1"]
    finally:
        container.close()


def test_a_run_write_the_database_refuses_is_a_storage_error_naming_it(
    tmp_path: Path, db_url: str
) -> None:
    import sqlalchemy as sa

    from onepiece.errors import StorageError

    container = container_for(tmp_path, db_url)
    try:
        recorder = RunRecorder.start(container.ingest_runs, interval=0.0, project="demo")
        other = sa.create_engine(db_url.replace("postgresql://", "postgresql+psycopg://", 1))
        with other.begin() as connection:
            connection.exec_driver_sql("DROP TABLE ingest_runs")
        other.dispose()
        recorder.progress({"files": 1})  # skipped with a warning: the run goes on
        with pytest.raises(StorageError, match="state database"):
            recorder.finish("completed", {"files": 1}, {})
    finally:
        container.close()
