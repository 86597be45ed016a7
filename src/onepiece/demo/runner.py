"""Run the real ``onepiece`` CLI as a user would, in the demo's own workspace.

Each command is printed as ``$ onepiece ...`` and followed by its real output
(stdout and stderr, as a terminal shows them). A command that does not end as
the step says (exit code, key output) stops the demo with ``StepFailed``.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Settings a user's shell may carry that would point the demo at their real
# tracker, storage, farm or server: the demo runs on the embedded defaults only.
FOREIGN_PREFIXES = ("ONEPIECE_", "TRAFALGAR_", "OPENCUE_", "AWS_", "SHOTGRID_", "CUEBOT_")


class StepFailed(Exception):
    """A demo step did not do what it says; the message names the step."""


@dataclass
class Workspace:
    """A fresh folder with its own HOME and XDG dirs, so no user config is read or written."""

    root: Path
    env: dict[str, str]

    @classmethod
    def create(cls, root: Path) -> Workspace:
        root = root.resolve()
        if root.exists() and any(root.iterdir()):
            raise StepFailed(f"workspace {root} is not empty (give a new folder)")
        env = {k: v for k, v in os.environ.items() if not k.startswith(FOREIGN_PREFIXES)}
        for name, sub in (
            ("HOME", "home"),
            ("XDG_CONFIG_HOME", "home/.config"),
            ("XDG_DATA_HOME", "home/.local/share"),
            ("XDG_CACHE_HOME", "home/.cache"),
            ("XDG_STATE_HOME", "home/.local/state"),
        ):
            (root / sub).mkdir(parents=True, exist_ok=True)
            env[name] = str(root / sub)
        # Plain, line-by-line output that fits a terminal and a CI log alike.
        env.update(PYTHONUNBUFFERED="1", COLUMNS="110", NO_COLOR="1", TERM="dumb")
        return cls(root, env)

    @property
    def data_dir(self) -> Path:
        return Path(self.env["XDG_DATA_HOME"]) / "onepiece"


def say(text: str) -> None:
    print(text, flush=True)


def heading(number: int, title: str) -> None:
    say(f"\n=== {number}. {title} ===")


def onepiece(
    ws: Workspace, step: str, *args: str, expect: int = 0, shows: tuple[str, ...] = ()
) -> str:
    """Print and run ``onepiece ARGS``; check its exit code and that its output ``shows`` text."""
    say(f"\n$ onepiece {shlex.join(args)}")
    process = subprocess.Popen(
        [sys.executable, "-m", "onepiece", *args],
        cwd=ws.root,
        env=ws.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    lines = []
    for line in process.stdout:  # streamed, so progress shows as it happens
        print(line, end="", flush=True)
        lines.append(line)
    code = process.wait()
    output = "".join(lines)
    if code != expect:
        raise StepFailed(f"{step}: `onepiece {args[0]} ...` exited {code}, expected {expect}")
    for text in shows:
        if text not in output:
            raise StepFailed(f"{step}: `onepiece {args[0]} ...` did not print {text!r}")
    return output


def query(ws: Workspace, step: str, *args: str) -> Any:
    """The demo's own check, not shown: ``onepiece ARGS --format json``, parsed."""
    result = subprocess.run(
        [sys.executable, "-m", "onepiece", *args, "--format", "json"],
        cwd=ws.root,
        env=ws.env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise StepFailed(f"{step}: check `onepiece {shlex.join(args)}` failed: {result.stderr}")
    return json.loads(result.stdout)


def check(condition: bool, step: str, what: str) -> None:
    if not condition:
        raise StepFailed(f"{step}: {what}")
