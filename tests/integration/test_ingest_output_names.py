"""A vendor's file name is printed as one line: line breaks and control
characters in it are escaped, so a name cannot forge summary or progress
lines (nor colour a terminal). JSON output keeps the name exact."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.cli_process import run_onepiece

FORGED = "  versions: 99 registered, 0 already registered, 0 conflict(s), 0 failed"


def _ingest(tmp_path: Path, folder: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    ingest = ("ingest", str(folder), "-p", "demo", "-s", "FG", "--no-review-media", *extra)
    return run_onepiece(tmp_path / "data", *ingest)


@pytest.mark.parametrize("breaker", ["\n", "\r", "\x1b[2K\r", "\u2028", "\x85"])
def test_a_name_with_a_line_break_prints_as_one_line(tmp_path: Path, breaker: str) -> None:
    folder = tmp_path / "delivery"
    folder.mkdir()
    (folder / "FG_ep010_sc01_0001_comp_v001.mov").write_bytes(os.urandom(2000))
    hostile = f"bad{breaker}{FORGED}.mov"
    (folder / hostile).write_bytes(b"x")
    result = _ingest(tmp_path, folder)
    for stream in (result.stdout, result.stderr):
        lines = stream.split("\n")
        assert FORGED not in lines and not any(line.startswith(FORGED) for line in lines)
        assert not any(c in stream for c in ("\r", "\x1b", "\u2028", "\x85"))
    assert "bad" in result.stdout  # still reported, escaped
    document = json.loads(_ingest(tmp_path, folder, "--format", "json", "--dry-run").stdout)
    assert hostile in [problem["path"] for problem in document["problems"]]  # exact in JSON
