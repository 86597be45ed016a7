"""An ingest onto a full disk: exit 7, the path named, the failed run recorded.

Uses a real 1 MiB tmpfs (needs root and mount permission; skipped otherwise)
holding everything OnePiece writes: storage, tracker and run registry.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from onepiece.samples import filler_delivery
from tests.e2e.conftest import Run
from tests.ingest_support import recorded_runs

BASE = ("ingest", "--project", "demo", "--show-code", "FG", "--workers", "2")


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "small-disk"
    mount.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root")
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)],
        capture_output=True,
        check=False,
    )
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.mark.parametrize("layout", ["many small files", "one large file"])
def test_full_disk_exits_7_names_the_path_and_records_the_run(
    onepiece: Run, tmp_path: Path, small_disk: Path, layout: str
) -> None:
    delivery = tmp_path / "delivery"
    if layout == "many small files":
        filler_delivery(delivery, large_files=0, frames=300, frame_size=8 << 10)
    else:
        filler_delivery(delivery, large_files=1, large_size=3 << 20, frames=0)
    data = small_disk / "data"

    result = onepiece(*BASE, str(delivery), env={"XDG_DATA_HOME": str(data)})

    assert result.returncode == 7, result.stderr
    assert "Traceback" not in result.stderr
    (error,) = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert "No space left on device" in error
    assert str(data / "onepiece" / "storage") in error
    (run,) = recorded_runs(data / "onepiece")
    assert run["status"] == "failed"
    assert run["counts"]["failed"] > 0
    assert run["error"].startswith(error.removeprefix("error: ").split(" (first:")[0])
    # The room kept for the final record is given back.
    assert [p.name for p in (data / "onepiece").iterdir() if ".reserve-" in p.name] == []
