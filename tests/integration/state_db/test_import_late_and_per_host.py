"""Issue 15 item 2 beyond the first start: a file that appears after the first
command (a history path configured later) is imported when it appears, and a
second data directory moving onto the same database (another host's files) is
imported too; each file once, on both backends."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa

from onepiece.services.database import status
from onepiece.state.db.legacy import imports_done
from tests.integration.state_db.conftest import container_for


def _runs_file(container_dir: Path, ids: list[str]) -> None:
    container = container_for(container_dir, None)
    path = container.settings.ingest_registry_path
    path.parent.mkdir(parents=True, exist_ok=True)
    runs = [
        {"id": i, "status": "completed", "started_at": "2026-01-01T00:00:00+00:00"} for i in ids
    ]
    path.write_text(json.dumps({"format": 1, "runs": runs}))


def _run_ids(folder: Path, url: str) -> list[str]:
    container = container_for(folder, url)
    try:
        return sorted(run["id"] for run in container.ingest_runs.runs())
    finally:
        container.close()


def test_a_file_that_appears_later_is_imported_when_it_does(tmp_path: Path, db_url: str) -> None:
    assert _run_ids(tmp_path, db_url) == []  # first command: no file yet, nothing recorded
    _runs_file(tmp_path, ["late-1", "late-2"])
    settings = container_for(tmp_path, db_url).settings
    assert "ingest_runs" in status(settings)["imports_pending"]
    assert _run_ids(tmp_path, db_url) == ["late-1", "late-2"]
    assert "ingest_runs" not in status(settings)["imports_pending"]
    assert _run_ids(tmp_path, db_url) == ["late-1", "late-2"]  # once


def test_each_data_directory_sharing_a_database_brings_its_own_files(
    tmp_path: Path, db_url: str
) -> None:
    host_a, host_b = tmp_path / "a", tmp_path / "b"
    _runs_file(host_a, ["a-1"])
    _runs_file(host_b, ["b-1", "b-2"])
    assert _run_ids(host_a, db_url) == ["a-1"]
    assert _run_ids(host_b, db_url) == ["a-1", "b-1", "b-2"]  # B's own file, not skipped
    assert _run_ids(host_a, db_url) == ["a-1", "b-1", "b-2"]
    container = container_for(host_a, db_url)
    try:
        (row,) = [e for e in imports_done(container.state_db.engine) if e["name"] == "ingest_runs"]
    finally:
        container.close()
    assert row["records"] == 3 and len(row["sources"]) == 2


def test_a_file_recorded_before_sources_were_listed_is_not_imported_again(
    tmp_path: Path, db_url: str
) -> None:
    _runs_file(tmp_path, ["old-1"])
    assert _run_ids(tmp_path, db_url) == ["old-1"]
    container = container_for(tmp_path, db_url)
    engine, path = container.state_db.engine, container.settings.ingest_registry_path
    try:
        with engine.begin() as connection:  # the row as the previous release wrote it
            connection.execute(
                sa.text("UPDATE imports SET counts = :c WHERE name = 'ingest_runs'"),
                {"c": json.dumps({"records": 1, "missing": False})},
            )
            connection.execute(sa.text("DELETE FROM ingest_runs"))
    finally:
        container.close()
    assert str(path) and _run_ids(tmp_path, db_url) == []  # done: the deleted run stays gone
