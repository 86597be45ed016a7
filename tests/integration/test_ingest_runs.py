"""The ingest run registry: concurrent writers, throttling, dead runs, corrupt files."""

from __future__ import annotations

import json
import multiprocessing
import subprocess
import sys
from pathlib import Path

from onepiece.processes import started_at
from onepiece.state.ingest_runs import IngestRunRegistry, RunRecorder


def _writer(path: str, prefix: str, count: int) -> None:
    registry = IngestRunRegistry(Path(path))
    for i in range(count):
        run = {"id": f"{prefix}-{i}", "status": "running", "counts": {}}
        registry.save(run)
        registry.save({**run, "status": "completed", "counts": {"files": i}})


def test_concurrent_processes_never_lose_each_others_runs(tmp_path: Path) -> None:
    path = tmp_path / "runs" / "ingest-runs.json"
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(path), f"p{n}", 25)) for n in range(4)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(60)
        assert proc.exitcode == 0
    data = json.loads(path.read_text())
    assert data["format"] == 1
    ids = {run["id"] for run in data["runs"]}
    assert ids == {f"p{n}-{i}" for n in range(4) for i in range(25)}
    assert {run["status"] for run in data["runs"]} == {"completed"}


def test_progress_writes_are_throttled_and_finish_always_writes(tmp_path: Path) -> None:
    registry = IngestRunRegistry(tmp_path / "runs.json")
    now = [100.0]
    recorder = RunRecorder.start(registry, project="demo", show="FG", source="vendor")
    recorder.clock = lambda: now[0]
    recorder._last = now[0]
    recorder.progress({"files_done": 1})
    assert registry.get(recorder.run_id)["counts"] == {}  # within 0.5 s: not written
    now[0] += 0.6
    recorder.progress({"files_done": 2})
    assert registry.get(recorder.run_id)["counts"] == {"files_done": 2}
    recorder.progress({"files_done": 3})
    recorder.finish("completed", {"files_done": 3}, {"exit_code": 0})
    run = registry.get(recorder.run_id)
    assert run["status"] == "completed"
    assert run["counts"] == {"files_done": 3}
    assert run["completed_at"] is not None
    assert {"id", "project", "show", "source", "started_at", "summary"} <= set(run)


def test_running_run_of_a_dead_process_is_marked_failed(tmp_path: Path) -> None:
    registry = IngestRunRegistry(tmp_path / "runs.json")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    recorder = RunRecorder.start(registry, project="demo", show="FG", source="vendor")
    recorder.run["pid"] = dead.pid
    recorder._write()
    assert registry.get(recorder.run_id)["status"] == "running"
    registry.save({"id": "other", "status": "running"})
    run = registry.get(recorder.run_id)
    assert run["status"] == "failed"
    assert f"pid {dead.pid}" in run["error"]


def test_running_run_whose_pid_was_reused_is_marked_failed(tmp_path: Path) -> None:
    """A pid now held by a process that started at another time is not the run's process."""
    registry = IngestRunRegistry(tmp_path / "runs.json")
    stranger = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        recorder = RunRecorder.start(registry, project="demo", show="FG", source="vendor")
        stranger_started = started_at(stranger.pid)
        assert stranger_started is not None
        recorder.run["pid"] = stranger.pid
        recorder.run["pid_started"] = stranger_started - 3600  # the run's process: long gone
        recorder._write()
        registry.save({"id": "other", "status": "running"})
        run = registry.get(recorder.run_id)
        assert run["status"] == "failed"
        assert f"pid {stranger.pid}" in run["error"]
    finally:
        stranger.kill()
        stranger.wait()


def test_running_run_of_a_live_process_stays_running(tmp_path: Path) -> None:
    registry = IngestRunRegistry(tmp_path / "runs.json")
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        recorder = RunRecorder.start(registry, project="demo", show="FG", source="vendor")
        recorder.run["pid"] = alive.pid
        recorder.run["pid_started"] = started_at(alive.pid)
        recorder._write()
        registry.save({"id": "other", "status": "running"})
        assert registry.get(recorder.run_id)["status"] == "running"
    finally:
        alive.kill()
        alive.wait()


def test_corrupt_registry_is_set_aside_not_lost(tmp_path: Path) -> None:
    path = tmp_path / "runs.json"
    path.write_text("{half a file")
    registry = IngestRunRegistry(path)
    registry.save({"id": "new", "status": "completed"})
    assert [run["id"] for run in registry.runs()] == ["new"]
    [aside] = tmp_path.glob("runs.json.corrupt-*")
    assert aside.read_text() == "{half a file"
