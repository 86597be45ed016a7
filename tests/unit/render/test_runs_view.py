"""The ingest run registry view: memoised by file identity, last good snapshot on bad JSON."""

from __future__ import annotations

from pathlib import Path

from onepiece.atomicio import write_json
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
