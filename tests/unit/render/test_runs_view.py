"""The ingest run registry view: memoised by file identity, last good snapshot on bad JSON."""

from __future__ import annotations

import os
from pathlib import Path

from onepiece.atomicio import write_json
from onepiece.services.ingest.run_feed import RunFeed, diff_runs
from onepiece.state.runs_view import RunRegistryView


def _run(run_id: str, status: str = "running", started: str = "2026-01-01T10:00:00") -> dict:
    return {"id": run_id, "status": status, "started_at": started, "counts": {"files": 1}}


def test_repeated_lookups_including_404s_reuse_one_read(tmp_path: Path) -> None:
    path = tmp_path / "ingest-runs.json"
    write_json(path, {"runs": [_run("a"), _run("b", started="2026-01-02T10:00:00")]})
    view = RunRegistryView(path)
    for _ in range(20):
        assert view.get("a") is not None
        assert view.get("missing") is None
        assert [r["id"] for r in view.list()] == ["b", "a"]  # newest first
    assert view.reads == 1


def test_the_snapshot_is_refreshed_when_the_file_changes(tmp_path: Path) -> None:
    path = tmp_path / "ingest-runs.json"
    write_json(path, {"runs": [_run("a")]})
    view = RunRegistryView(path)
    assert view.get("a")["status"] == "running"
    write_json(path, {"runs": [_run("a", "completed")]})  # atomic rewrite: new inode
    assert view.get("a")["status"] == "completed"
    assert view.list(status="completed")[0]["id"] == "a"
    assert view.list(status="running") == []


def test_malformed_json_mid_write_keeps_the_last_good_snapshot(tmp_path: Path) -> None:
    path = tmp_path / "ingest-runs.json"
    write_json(path, {"runs": [_run("a")]})
    view = RunRegistryView(path)
    assert view.get("a")
    path.write_text('{"runs": [{"id": "a", "sta')  # a non-atomic writer caught mid-write
    snapshot = view.snapshot()
    assert snapshot.stale and snapshot.by_id["a"]["status"] == "running"
    reads = view.reads
    assert view.get("a") and view.get("nope") is None
    assert view.reads == reads  # the bad file is not re-parsed until it changes
    write_json(path, {"runs": [_run("a", "failed")]})
    assert view.get("a")["status"] == "failed" and not view.snapshot().stale


def test_a_missing_registry_is_an_empty_list(tmp_path: Path) -> None:
    view = RunRegistryView(tmp_path / "none.json")
    assert view.list() == [] and view.get("x") is None


def test_diff_names_created_updated_and_removed_runs() -> None:
    old = {"a": _run("a"), "b": _run("b")}
    new = {"a": _run("a", "completed"), "c": _run("c")}
    events = sorted((name, run["id"]) for name, run in diff_runs(old, new))
    assert events == [("run.created", "c"), ("run.removed", "b"), ("run.updated", "a")]


class _Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, str, dict]] = []

    def publish(self, topic: str, name: str, data: dict) -> None:
        self.events.append((topic, name, data))


def test_the_feed_publishes_each_change_once(tmp_path: Path) -> None:
    path = tmp_path / "ingest-runs.json"
    write_json(path, {"runs": [_run("a")]})
    broker = _Recorder()
    feed = RunFeed(RunRegistryView(path), broker)  # type: ignore[arg-type]
    assert feed.check() == 0  # existing runs are in the snapshot, not events
    write_json(path, {"runs": [_run("a"), _run("b")]})
    assert feed.check() == 1
    write_json(path, {"runs": [_run("a"), _run("b")]})  # rewritten, nothing changed
    assert feed.check() == 0
    path.write_text("{not json")
    assert feed.check() == 0
    write_json(path, {"runs": [_run("b", "completed")]})
    assert feed.check() == 2
    names = [(name, data["run"]["id"]) for _, name, data in broker.events]
    assert names == [("run.created", "b"), ("run.updated", "b"), ("run.removed", "a")]
    assert all(data["event"] == name for _, name, data in broker.events)
    os.unlink(path)
