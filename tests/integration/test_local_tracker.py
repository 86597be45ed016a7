"""Behaviour of the SQLite local tracker that the contract cannot see:
migrations, WAL, several processes and threads writing at once, large counts.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import onepiece
from onepiece.adapters.trackers.local.migrations import MIGRATIONS, SCHEMA_VERSION
from onepiece.adapters.trackers.local.tracker import LocalTracker, create
from onepiece.bootstrap import bootstrap
from onepiece.config import Settings
from onepiece.domain.entities import PublishedFile, ShotSpec, Version
from onepiece.errors import (
    EntityNotFound,
    TrackerRejected,
    TrackerUnavailable,
    ValidationError,
    VersionConflict,
)

WRITER = Path(__file__).with_name("local_tracker_writer.py")
SRC = Path(onepiece.__file__).resolve().parents[1]
TABLES = {
    "projects",
    "episodes",
    "sequences",
    "shots",
    "assets",
    "versions",
    "playlists",
    "playlist_versions",
    "published_files",
}


def raw(db: Path) -> sqlite3.Connection:
    return sqlite3.connect(db, isolation_level=None)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "nested" / "folder" / "tracker.db"


@pytest.fixture
def local(db: Path) -> Iterator[LocalTracker]:
    tracker = LocalTracker(db)
    tracker.ensure_project("FG")
    yield tracker
    tracker.close()


# Schema and file


def test_new_file_gets_its_folder_and_the_latest_schema(db: Path) -> None:
    tracker = LocalTracker(db)
    assert tracker.ping() == f"sqlite {db} (schema v{SCHEMA_VERSION})"
    tracker.close()
    conn = raw(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables >= TABLES


def test_reopening_keeps_data_and_migrates_nothing(db: Path) -> None:
    first = LocalTracker(db)
    first.ensure_project("FG")
    first.create_versions([Version("FG", "a_v001", status="rev")])
    first.close()
    schema_before = raw(db).execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall()
    second = LocalTracker(db)
    assert second.ping().endswith(f"(schema v{SCHEMA_VERSION})")
    assert second.find_version("FG", "a_v001") is not None
    second.close()
    assert raw(db).execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall() == (
        schema_before
    )


def test_file_at_an_older_schema_is_migrated_forward_keeping_rows(db: Path) -> None:
    db.parent.mkdir(parents=True)
    conn = raw(db)
    for statement in MIGRATIONS[0]:
        conn.execute(statement)
    conn.execute("PRAGMA user_version = 1")
    conn.execute("INSERT INTO projects (code, name, created_at) VALUES ('OLD', 'Old', 'x')")
    conn.close()
    tracker = LocalTracker(db)
    assert tracker.get_project("OLD").name == "Old"
    tracker.close()
    indexes = {r[0] for r in raw(db).execute("SELECT name FROM sqlite_master WHERE type='index'")}
    assert "versions_project_status" in indexes
    assert raw(db).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_file_from_a_newer_onepiece_is_refused(db: Path) -> None:
    db.parent.mkdir(parents=True)
    raw(db).execute("PRAGMA user_version = 99")
    with pytest.raises(TrackerUnavailable, match="newer"):
        LocalTracker(db).ping()


def test_journal_mode_is_wal(local: LocalTracker, db: Path) -> None:
    assert raw(db).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_path_under_a_regular_file_is_unavailable_with_reason(tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("not a folder")
    with pytest.raises(TrackerUnavailable, match="cannot create the folder"):
        LocalTracker(blocker / "tracker.db").ping()


def test_path_that_is_a_folder_is_unavailable_with_reason(tmp_path: Path) -> None:
    with pytest.raises(TrackerUnavailable, match="unable to open"):
        LocalTracker(tmp_path).ping()


def test_file_that_is_not_a_database_is_unavailable(tmp_path: Path) -> None:
    junk = tmp_path / "tracker.db"
    junk.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(TrackerUnavailable, match="not a database"):
        LocalTracker(junk).ping()


def test_write_lock_held_past_busy_timeout_is_unavailable(db: Path) -> None:
    tracker = LocalTracker(db, busy_timeout=0.05)
    tracker.ping()
    holder = raw(db)
    holder.execute("BEGIN IMMEDIATE")
    with pytest.raises(TrackerUnavailable, match="locked"):
        tracker.ensure_project("FG")
    holder.execute("ROLLBACK")
    assert tracker.ensure_project("FG")[1] is True
    tracker.close()


# Several writers


def start_writer(db: Path, prefix: str, count: int) -> subprocess.Popen[str]:
    """A writer process that has opened the tracker and waits for ``go``."""
    path = os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "PYTHONPATH": path}
    command = [sys.executable, str(WRITER), str(db), "FG", prefix, str(count)]
    return subprocess.Popen(
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def run_together(processes: list[subprocess.Popen[str]]) -> list[str]:
    """Wait until every writer has opened the file, release them at once, collect reports."""
    for process in processes:
        assert process.stdout is not None and process.stderr is not None
        assert process.stdout.readline().strip() == "ready", process.stderr.read()
    for process in processes:
        assert process.stdin is not None
        process.stdin.write("go\n")
        process.stdin.flush()
    reports = []
    for process in processes:
        out, err = process.communicate(timeout=240)
        assert process.returncode == 0, err
        reports.append(out.strip())
    return reports


@pytest.mark.slow
def test_processes_opening_a_new_file_at_once_migrate_it_once(db: Path) -> None:
    assert (
        run_together([start_writer(db, "none", 0) for _ in range(3)])
        == ["created 0 conflicts 0"] * 3
    )
    assert raw(db).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


@pytest.mark.slow
def test_two_processes_create_versions_at_once_and_nothing_is_lost(
    local: LocalTracker, db: Path
) -> None:
    writers = [start_writer(db, "alpha", 200), start_writer(db, "beta", 200)]
    assert run_together(writers) == ["created 200 conflicts 0"] * 2
    codes = {v.code for v in local.list_versions("FG")}
    expected = {f"{prefix}_v{i:04d}" for prefix in ("alpha", "beta") for i in range(200)}
    assert codes == expected
    assert local.counts("FG").versions == 400


@pytest.mark.slow
def test_two_processes_racing_for_the_same_codes_create_each_once(
    local: LocalTracker, db: Path
) -> None:
    reports = run_together([start_writer(db, "same", 100), start_writer(db, "same", 100)])
    created = sum(int(report.split()[1]) for report in reports)
    conflicts = sum(int(report.split()[3]) for report in reports)
    assert (created, conflicts) == (100, 100)
    assert local.counts("FG").versions == 100


def test_threads_writing_and_reading_through_one_tracker(local: LocalTracker, db: Path) -> None:
    start = threading.Barrier(8)

    def work(worker: int) -> int:
        start.wait()
        for index in range(50):
            local.create_versions([Version("FG", f"t{worker}_v{index:03d}", status="ip")])
            local.list_versions("FG", limit=5)
        return worker

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert sorted(pool.map(work, range(8))) == list(range(8))
    assert local.counts("FG").version_status == {"ip": 400}


def test_close_closes_every_threads_connection(local: LocalTracker, db: Path) -> None:
    """SQLite removes the WAL file only when the last connection to the file closes."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda i: local.create_versions([Version("FG", f"c{i}")]), range(4)))
        wal = Path(f"{db}-wal")
        assert wal.exists()
        local.close()  # worker threads are still alive and idle
        assert not wal.exists()
    assert local.find_version("FG", "c3") is not None  # usable again after close


def test_counts_with_a_hundred_thousand_versions(local: LocalTracker) -> None:
    statuses = ["apr", "Approved", "rev", "ip", None]
    local.ensure_project("ZZ")
    local.create_versions(
        [Version("FG", f"v{i:06d}", status=statuses[i % 5]) for i in range(100_000)]
    )
    local.create_versions([Version("ZZ", f"z{i}", status="fin") for i in range(7)])
    counts = local.counts("FG")
    assert counts.versions == 100_000
    assert counts.version_status == {
        "apr": 20_000,
        "Approved": 20_000,
        "rev": 20_000,
        "ip": 20_000,
        "": 20_000,
    }
    overall = local.counts()
    assert (overall.projects, overall.versions) == (2, 100_007)
    assert overall.version_status["fin"] == 7
    approved = local.list_versions("FG", status="approved", limit=3)
    assert len(approved) == 3 and {v.status for v in approved} <= {"apr", "Approved"}


# Local rules beyond the contract


def test_studio_status_map_extends_bucket_filters(db: Path) -> None:
    tracker = LocalTracker(db, status_map={"cbb": "approved"})
    tracker.ensure_project("FG")
    tracker.create_versions([Version("FG", "a", status="cbb"), Version("FG", "b", status="rev")])
    assert [v.code for v in tracker.list_versions("FG", status="approved")] == ["a"]
    tracker.close()


def test_codes_repeated_in_one_request_conflict(local: LocalTracker) -> None:
    with pytest.raises(VersionConflict, match="a_v001"):
        local.create_versions([Version("FG", "a_v001"), Version("FG", "a_v001")])
    assert local.list_versions("FG") == []


def test_show_setup_row_without_a_shot_code_is_refused(local: LocalTracker) -> None:
    with pytest.raises(ValidationError, match="shot code"):
        local.ensure_hierarchy(
            "FG", [ShotSpec("ep010", "sc01", "sh010"), ShotSpec("ep010", "sc01", " ")]
        )
    assert local.list_episodes("FG") == []


def test_update_with_a_wrongly_typed_value_is_a_validation_error(local: LocalTracker) -> None:
    local.create_versions([Version("FG", "a_v001")])
    with pytest.raises(ValidationError, match="frame_first"):
        local.update_versions("FG", {"a_v001": {"frame_first": "1001"}})


def test_republishing_the_same_file_is_a_no_op_but_a_different_one_is_refused(
    local: LocalTracker,
) -> None:
    local.create_versions([Version("FG", "a_v001")])
    published = PublishedFile("FG", "a_v001.exr", "/pub/a.exr", "a_v001", "exr")
    local.create_published_files([published])
    local.create_published_files([published])
    assert local.list_published_files("FG") == [published]
    with pytest.raises(TrackerRejected):
        local.create_published_files([PublishedFile("FG", "a_v001.exr", "/pub/other.exr")])


def test_published_file_for_unknown_version_is_not_found(local: LocalTracker) -> None:
    with pytest.raises(EntityNotFound):
        local.create_published_files([PublishedFile("FG", "x.exr", "/x.exr", "ghost_v001")])


def test_deleted_version_leaves_its_playlists(local: LocalTracker) -> None:
    local.create_versions([Version("FG", "a"), Version("FG", "b")])
    local.create_playlist("FG", "dailies")
    local.add_to_playlist("FG", "dailies", ["a", "b"])
    local.delete_versions("FG", ["a"])
    assert local.get_playlist("FG", "dailies").versions == ("b",)


def test_bootstrap_builds_the_local_tracker_at_the_configured_path(settings: Settings) -> None:
    direct = create(settings)
    assert direct.path == settings.tracker_path
    direct.close()
    container = bootstrap(settings)
    assert container.tracker.name == "local"
    assert str(settings.tracker_path) in container.tracker.ping()
    container.close()
    assert settings.tracker_path.is_file()
