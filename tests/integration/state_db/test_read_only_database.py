"""A whole state database this process cannot write (a read-only file system)
is reported as such, exit 3, with advice that keeps the file: never called
damaged, never "move it aside"."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli_process import run_onepiece


@pytest.fixture
def read_only_data(tmp_path: Path) -> Iterator[Path]:
    """A data directory holding a whole state.db, on a file system mounted read-only."""
    made = tmp_path / "made"
    assert run_onepiece(made, "db", "upgrade").returncode == 0
    mount = tmp_path / "ro"
    mount.mkdir()
    if subprocess.run(
        ["mount", "-t", "tmpfs", "tmpfs", str(mount)], capture_output=True
    ).returncode:
        pytest.skip("mounting a file system needs root (CAP_SYS_ADMIN)")
    try:
        shutil.copy(made / "state.db", mount / "state.db")
        subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.mark.parametrize("command", [["db", "status"], ["db", "upgrade"], ["render", "list"]])
def test_a_read_only_database_is_unavailable_not_damaged(
    read_only_data: Path, command: list[str]
) -> None:
    before = hashlib.sha256((read_only_data / "state.db").read_bytes()).hexdigest()
    result = run_onepiece(read_only_data, *command)
    assert result.returncode == 3, result.stdout + result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert "read-only file system" in line and "move it aside" not in line, line
    assert "DAMAGED" not in result.stdout
    after = hashlib.sha256((read_only_data / "state.db").read_bytes()).hexdigest()
    assert after == before
