"""Progress: Rich bars when stderr is a terminal, one plain line per file otherwise."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

from onepiece.samples import filler_delivery
from tests.e2e.conftest import Run

BASE = ("ingest", "--project", "demo", "--show-code", "FG", "--workers", "2")


def test_terminal_gets_rich_progress_and_stdout_keeps_the_summary(tmp_path: Path) -> None:
    filler_delivery(tmp_path / "d", large_files=1, large_size=8 << 20, frames=10, frame_size=4096)
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "onepiece", *BASE, str(tmp_path / "d")],
        stdout=subprocess.PIPE,
        stderr=follower,
        env={**os.environ, "COLUMNS": "120"},
        text=True,
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the terminal's other end closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    stdout, _ = proc.communicate(timeout=120)
    os.close(leader)
    terminal = b"".join(chunks).decode("utf-8", "replace")
    assert proc.returncode == 0
    assert "11/11 files" in terminal
    assert "MiB" in terminal and "\x1b[" in terminal  # bars drawn with escape codes
    assert stdout.startswith("ingest ingest-")
    assert "\x1b[" not in stdout


def test_pipes_get_one_plain_line_per_file(onepiece: Run, tmp_path: Path) -> None:
    filler_delivery(tmp_path / "d", large_files=1, large_size=1 << 20, frames=3, frame_size=4096)
    result = onepiece(*BASE, str(tmp_path / "d"))
    assert result.returncode == 0
    lines = [line for line in result.stderr.splitlines() if line.startswith("[")]
    assert len(lines) == 4
    assert all("] uploaded FG_" in line or "] uploaded plates/FG_" in line for line in lines)
    assert "\x1b[" not in result.stderr
