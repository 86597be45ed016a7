"""The real ``onepiece`` command in a subprocess, on a data directory of its own.

For integration tests that check what a user sees (exit codes, one-line errors,
files left behind) without the e2e fixtures' servers.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

# The caller's own places: never leaked into the command under test.
_SHARED = ("XDG_DATA_HOME", "ONEPIECE_STORAGE_ROOT", "ONEPIECE_DATABASE_URL")


def run_onepiece(
    data_dir: Path, *args: str, database_url: str | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """``python -m onepiece ARGS`` with ``data_dir`` as its data directory and its
    parent as HOME and working folder; ``database_url``: the state database."""
    env = {**os.environ, "ONEPIECE_DATA_DIR": str(data_dir), "HOME": str(data_dir.parent)}
    for name in _SHARED:
        env.pop(name, None)
    if database_url is not None:
        env["ONEPIECE_DATABASE_URL"] = database_url
    return subprocess.run(
        [sys.executable, "-m", "onepiece", *args],
        capture_output=True, text=True, timeout=timeout, env=env, cwd=data_dir.parent,
    )  # fmt: skip
