"""The CLI walkthroughs in docs/ run as written, so the docs cannot drift from the code.

Every fenced block marked ``console`` in docs/cli_walkthroughs.md is executed:
lines starting with ``$ `` are commands; a trailing ``# exit N`` states the
expected exit code (0 otherwise). Each ``##`` section runs as one shell script
in its own scratch folder holding a copy of docs/examples, so exports and
files carry from one command to the next within a section.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"
WALKTHROUGHS = DOCS / "cli_walkthroughs.md"
_EXIT = re.compile(r"\s+#\s*exit\s+(\d+)\s*$")


def sections() -> list[tuple[str, list[tuple[str, int]]]]:
    found: list[tuple[str, list[tuple[str, int]]]] = []
    title = "intro"
    in_block = False
    for line in WALKTHROUGHS.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            title = line[3:].strip()
        elif line.strip() == "```console":
            in_block = True
            if not found or found[-1][0] != title:
                found.append((title, []))
        elif line.strip().startswith("```"):
            in_block = False
        elif in_block and line.startswith("$ "):
            command = line[2:]
            expected = 0
            if match := _EXIT.search(command):
                expected = int(match.group(1))
                command = command[: match.start()]
            found[-1][1].append((command, expected))
    return found


def _script(commands: list[tuple[str, int]]) -> str:
    lines = ["set -u"]
    for command, expected in commands:
        quoted = command.replace("'", "'\\''")
        lines.append(f"echo '$ {quoted}' >&2")
        lines.append(f"{command}")
        lines.append(
            f"rc=$?; if [ $rc -ne {expected} ]; then "
            f"echo 'WALKTHROUGH FAILED (exit '$rc', expected {expected}): {quoted}' >&2; exit 1; fi"
        )
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(("title", "commands"), sections(), ids=lambda v: str(v)[:40])
def test_walkthrough_section_runs_as_documented(
    title: str, commands: list[tuple[str, int]], tmp_path: Path
) -> None:
    workspace = tmp_path / "ws"
    shutil.copytree(DOCS / "examples", workspace / "docs" / "examples")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(
        ["bash", "-c", _script(commands)],
        cwd=workspace,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, f"{title}\n{result.stderr[-4000:]}\n{result.stdout[-2000:]}"
