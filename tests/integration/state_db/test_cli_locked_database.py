"""A state database locked by another process past the busy timeout, or
damaged while in use, is one line and exit 3 from any CLI command, not an
"unexpected ... this is a bug" exit 1."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.cli_process import run_onepiece


def test_a_database_held_locked_past_the_busy_timeout_is_exit_3(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert run_onepiece(data, "db", "upgrade").returncode == 0
    holder = sqlite3.connect(data / "state.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another process mid-write, for longer than 10 s
    try:
        result = run_onepiece(data, "render", "list")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.returncode == 3, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: the state database failed: database is locked"), line
    assert "this is a bug" not in line


@pytest.mark.parametrize("command", [["render", "list"], ["runs", "export"], ["db", "status"]])
def test_commands_that_only_read_do_not_wait_for_a_writer(
    tmp_path: Path, command: list[str]
) -> None:
    """A database already prepared is read without taking the write lock: a
    long write by another process (an import, a big prune) does not stop them."""
    data = tmp_path / "data"
    assert run_onepiece(data, "db", "upgrade").returncode == 0
    assert run_onepiece(data, "render", "list").returncode == 0  # the history's first open
    writer = sqlite3.connect(data / "state.db", isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # another process mid-write, for longer than 10 s
    try:
        result = run_onepiece(data, *command)
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert result.returncode == 0, result.stderr
