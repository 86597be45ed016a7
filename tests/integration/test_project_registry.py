"""ProjectRegistry: tracker + configuration, persisted atomically, file fallback, pruning."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest

from onepiece.errors import TrackerUnavailable
from onepiece.services.dashboard.project_registry import ProjectRegistry, merge_projects
from tests.tracker_double import RecordingTracker

SYNC_TIME = datetime(2024, 6, 1, 9, 30, tzinfo=UTC)


@pytest.fixture
def tracker() -> RecordingTracker:
    double = RecordingTracker()
    for code in ("AAA", "BBB"):
        double.add_project(code, f"Show {code}")
    double.add_project("OLD", archived=True)
    return double


def registry(tracker: RecordingTracker, path: Path, configured=()) -> ProjectRegistry:
    return ProjectRegistry(lambda: tracker, list(configured), path, now=lambda: SYNC_TIME)


def test_sync_combines_configuration_and_tracker_and_writes_the_file(
    tracker: RecordingTracker, tmp_path: Path
) -> None:
    path = tmp_path / "dashboard-projects.json"
    state = registry(tracker, path, ["CFG", "AAA"]).sync()
    assert [(p.code, p.configured, p.in_tracker) for p in state.projects] == [
        ("AAA", True, True),
        ("BBB", False, True),
        ("CFG", True, False),
    ]
    saved = json.loads(path.read_text())
    assert saved["synced_at"] == SYNC_TIME.isoformat()
    assert [p["code"] for p in saved["projects"]] == ["AAA", "BBB", "CFG"]
    assert not list(tmp_path.glob(".*.part"))  # the atomic writer left no temp file


def test_start_up_with_the_tracker_down_fills_the_list_from_the_file(
    tracker: RecordingTracker, tmp_path: Path
) -> None:
    path = tmp_path / "dashboard-projects.json"
    registry(tracker, path).sync()
    tracker.available = False
    restarted = registry(tracker, path, ["CFG"])
    state = restarted.hydrate()
    assert [p.code for p in state.projects] == ["AAA", "BBB", "CFG"]
    assert state.source == "file" and state.synced_at == SYNC_TIME
    assert state.last_error == "tracker double is down"


def test_start_up_with_the_tracker_down_and_no_file_serves_the_configuration(
    tracker: RecordingTracker, tmp_path: Path
) -> None:
    tracker.available = False
    state = registry(tracker, tmp_path / "none.json", ["CFG"]).hydrate()
    assert [p.code for p in state.projects] == ["CFG"]
    assert state.source == "config" and state.synced_at is None


def test_projects_archived_or_deleted_upstream_are_pruned_on_the_next_sync(
    tracker: RecordingTracker, tmp_path: Path
) -> None:
    path = tmp_path / "dashboard-projects.json"
    reg = registry(tracker, path, ["BBB"])
    reg.sync()
    tracker.add_project("AAA", archived=True)
    tracker.remove_project("BBB")  # deleted upstream although configured
    tracker.available = False
    with pytest.raises(TrackerUnavailable):
        reg.sync()
    assert reg.codes() == ["AAA", "BBB"]  # nothing pruned while the tracker is down
    tracker.available = True
    assert reg.sync().projects == []
    assert json.loads(path.read_text())["projects"] == []


def test_a_failed_write_logs_a_warning_and_keeps_serving_from_memory(
    tracker: RecordingTracker, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "dashboard-projects.json"
    path.mkdir()  # a folder where the file should be: the rename fails
    reg = registry(tracker, path)
    with caplog.at_level(logging.WARNING):
        state = reg.sync()
    assert [p.code for p in state.projects] == ["AAA", "BBB"]
    assert reg.codes() == ["AAA", "BBB"]
    assert "serving from memory" in caplog.text


def test_an_unreadable_file_falls_back_to_the_configuration(
    tracker: RecordingTracker, tmp_path: Path
) -> None:
    path = tmp_path / "dashboard-projects.json"
    path.write_text("[1, 2")
    tracker.available = False
    assert registry(tracker, path, ["CFG"]).hydrate().source == "config"


def test_merge_keeps_configured_projects_the_tracker_never_listed() -> None:
    merged = merge_projects(["NEW"], [("AAA", "A")], ["OLD"], seen_before=["GONE"])
    assert [p.code for p in merged] == ["AAA", "NEW"]
    assert [p.code for p in merge_projects(["OLD", "GONE"], [], ["OLD"], ["GONE"])] == []
