"""A writer killed with -9 leaves its owner lock and temp files; the next ingest removes them.

Even a rerun that finds everything stored (so writes no temp file of its own)
cleans what the dead writer left where it commits; a live writer's lock and
temps are never touched.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from onepiece.samples import filler_delivery
from tests.e2e.conftest import Run
from tests.ingest_support import data_dir, expected_key

BASE = ("ingest", "--project", "demo", "--show-code", "FG", "--workers", "2")

# A writer that stages (writes, does not commit) one object, then waits to be killed.
WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from onepiece.adapters.storage.local.storage import LocalStorage
    root, key, source = sys.argv[1:4]
    storage = LocalStorage(Path(root))
    storage.ensure_bucket("vendor-in")
    storage.stage_file("vendor-in", key, Path(source))
    print("staged", flush=True)
    time.sleep(600)
    """
)


def leftovers(root: Path, marker: str) -> list[Path]:
    return [p for p in root.rglob("*") if marker in p.name]


def start_writer(root: Path, key: str, source: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(root), key, str(source)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "staged"
    return proc


def test_rerun_removes_the_lock_and_temps_of_a_killed_writer(
    onepiece: Run, tmp_path: Path, isolated_env: Path
) -> None:
    delivery = tmp_path / "delivery"
    files = filler_delivery(
        delivery, large_files=1, large_size=64 << 10, frames=12, frame_size=4096
    )
    root = data_dir(isolated_env) / "storage"
    first = onepiece(*BASE, str(delivery))
    assert first.returncode == 0, first.stderr
    assert leftovers(root, ".onepiece-owner-") == []

    killed = start_writer(root, expected_key(files[-1]), files[-1])
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    assert len(leftovers(root, ".onepiece-owner-")) == 1
    assert len(leftovers(root, ".onepiece-tmp-")) == 1
    live = start_writer(root, expected_key(files[0]), files[0])
    try:
        rerun = onepiece(*BASE, str(delivery), "--format", "json")

        assert rerun.returncode == 0, rerun.stderr
        assert '"uploaded": 0' in rerun.stdout  # everything was found stored
        # Only the live writer's lock and temp file remain.
        (lock,) = leftovers(root, ".onepiece-owner-")
        (temp,) = leftovers(root, ".onepiece-tmp-")
        token = lock.name.removeprefix(".onepiece-owner-").removesuffix(".lock")
        assert temp.name.startswith(f".onepiece-tmp-{token}-")
    finally:
        live.kill()
        live.wait()
