"""Interrupted ingests resume: kill -9 or Ctrl-C mid-way, run again, nothing missing or doubled."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from onepiece.adapters.storage.local.storage import LocalStorage
from onepiece.adapters.trackers.local.tracker import LocalTracker
from onepiece.samples import filler_delivery
from tests.e2e.conftest import Run
from tests.ingest_support import (
    assert_all_stored_and_verified,
    data_dir,
    recorded_runs,
    versions_by_code,
)

BASE = ("ingest", "--project", "demo", "--show-code", "FG", "--workers", "1")


def start(folder: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "onepiece", *BASE, str(folder), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_uploads(proc: subprocess.Popen[str], count: int) -> None:
    """Read the plain progress lines until ``count`` files are uploaded."""
    assert proc.stderr is not None
    seen = 0
    for line in proc.stderr:
        if "] uploaded " in line:
            seen += 1
            if seen == count:
                return
    raise AssertionError(f"the ingest ended before {count} uploads (exit {proc.wait()})")


def stored_count(home: Path) -> int:
    storage = LocalStorage(data_dir(home) / "storage")
    return sum(1 for _ in storage.list("vendor-in"))


def test_killed_ingest_resumes_with_the_same_command(
    onepiece: Run, tmp_path: Path, isolated_env: Path
) -> None:
    delivery = tmp_path / "delivery"
    files = filler_delivery(
        delivery, large_files=2, large_size=4 << 20, frames=120, frame_size=256 << 10
    )
    proc = start(delivery)
    wait_for_uploads(proc, 5)
    # Killed as soon as it has stored a few files: looking first would give a
    # fast machine the time to finish the whole delivery.
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    running = recorded_runs(data_dir(isolated_env))
    assert [(run["status"], run["pid"]) for run in running] == [("running", proc.pid)]
    assert 5 <= stored_count(isolated_env) < len(files)  # really stopped mid-way

    result = onepiece(*BASE, str(delivery), "--format", "json")

    assert result.returncode == 0, result.stderr
    counts = json.loads(result.stdout)["counts"]
    assert counts["skipped"] >= 5
    assert counts["uploaded"] + counts["skipped"] == len(files)
    tracker = LocalTracker(data_dir(isolated_env) / "tracker.db")
    try:
        assert len(versions_by_code(tracker)) == 3  # 2 clips + 1 sequence, none twice
    finally:
        tracker.close()
    storage = LocalStorage(data_dir(isolated_env) / "storage")
    assert_all_stored_and_verified(storage, "vendor-in", files)
    killed, resumed = recorded_runs(data_dir(isolated_env))
    assert killed["status"] == "failed"
    assert "ended without finishing" in killed["error"]
    assert resumed["status"] == "completed"
    # At most the file in flight is left, under a reserved temp name never listed as an object.
    leftovers = [
        p
        for p in (data_dir(isolated_env) / "storage").rglob("*")
        if p.is_file() and ".onepiece-tmp-" in p.name
    ]
    assert len(leftovers) <= 1


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_interrupt_marks_the_run_cancelled_and_writes_the_report(
    onepiece: Run, tmp_path: Path, isolated_env: Path, signum: int
) -> None:
    delivery = tmp_path / "delivery"
    files = filler_delivery(
        delivery, large_files=1, large_size=4 << 20, frames=120, frame_size=256 << 10
    )
    report = tmp_path / "report.json"
    proc = start(delivery, "--report-path", str(report), "--format", "json")
    wait_for_uploads(proc, 3)
    proc.send_signal(signum)
    stdout, _ = proc.communicate(timeout=60)

    assert proc.returncode == 130
    summary = json.loads(stdout)
    assert summary["status"] == "cancelled"
    assert summary["counts"]["cancelled"] > 0
    written = json.loads(report.read_text())
    assert {"uploaded", "cancelled"} <= {row["status"] for row in written["files"]}
    assert recorded_runs(data_dir(isolated_env))[0]["status"] == "cancelled"

    result = onepiece(*BASE, str(delivery), "--format", "json")
    assert result.returncode == 0, result.stderr
    counts = json.loads(result.stdout)["counts"]
    assert counts["skipped"] >= 3
    assert counts["uploaded"] + counts["skipped"] == len(files)
    assert os.path.exists(report)
