"""Damaged state databases are reported with the file named, never silently replaced."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from onepiece.state.db.engine import create_state_engine
from onepiece.state.db.errors import DatabaseDamaged, DatabaseUnavailable
from onepiece.state.db.event_log import SqlEventLog
from onepiece.state.db.health import check_health, ensure_healthy
from onepiece.state.db.migrate import upgrade


def _filled_database(path: Path) -> Path:
    """A real state database with a few hundred pages of events, checkpointed."""
    engine = create_state_engine(f"sqlite:///{path}")
    upgrade(engine)
    log = SqlEventLog(engine)
    for n in range(400):
        log.append("jobs", "job.updated", {"n": n, "pad": "x" * 1000})
    engine.dispose()  # the last connection closing checkpoints the WAL into the file
    return path


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _truncated(path: Path) -> None:
    size = path.stat().st_size
    with path.open("r+b") as handle:
        handle.truncate(size // 2)


def _random_middle(path: Path) -> None:
    size = path.stat().st_size
    noise = random.Random(15).randbytes(16 * 1024)
    with path.open("r+b") as handle:
        handle.seek(size // 2 - len(noise) // 2)
        handle.write(noise)


def _not_sqlite(path: Path) -> None:
    path.write_text('{"runs": []}\n' * 100)


DAMAGE = {
    "empty": (_empty, "is empty"),
    "truncated": (_truncated, "is truncated"),
    "random bytes in the middle": (_random_middle, "fails its integrity check"),
    "not a database": (_not_sqlite, "is not a SQLite database"),
}


def test_a_whole_database_is_healthy(tmp_path: Path) -> None:
    engine = create_state_engine(f"sqlite:///{_filled_database(tmp_path / 'state.db')}")
    assert check_health(engine) == (True, "ok")
    engine.dispose()


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_damaged_sqlite_is_reported_and_left_as_it_was(tmp_path: Path, damage: str) -> None:
    path = _filled_database(tmp_path / "state.db")
    harm, expected = DAMAGE[damage]
    harm(path)
    before = path.read_bytes()
    engine = create_state_engine(f"sqlite:///{path}")
    ok, reason = check_health(engine)
    assert not ok
    assert str(path) in reason and expected in reason and "\n" not in reason
    with pytest.raises(DatabaseDamaged) as caught:
        ensure_healthy(engine)
    assert caught.value.hint and "move it aside" in caught.value.hint
    engine.dispose()
    assert path.read_bytes() == before  # reported, never replaced or repaired
    assert not path.with_name("state.db-wal").exists() or damage == "random bytes in the middle"


@pytest.mark.parametrize("damage", ["empty", "truncated"])
def test_db_upgrade_refuses_a_damaged_file_in_one_line(tmp_path: Path, damage: str) -> None:
    data = tmp_path / "data"
    path = _filled_database(data / "onepiece" / "state.db")
    DAMAGE[damage][0](path)
    before = path.read_bytes()
    env = {**os.environ, "XDG_DATA_HOME": str(data), "ONEPIECE_PROJECT_ROOT": str(tmp_path)}
    env.pop("ONEPIECE_DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-m", "onepiece", "db", "upgrade"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 3
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(path) in lines[0] and "Traceback" not in result.stderr
    assert path.read_bytes() == before


def test_an_unreachable_server_is_reported_not_raised() -> None:
    engine = create_state_engine("postgresql://postgres@127.0.0.1:1/state")
    ok, reason = check_health(engine)
    assert not ok and "cannot be opened" in reason and "127.0.0.1:1" in reason
    with pytest.raises(DatabaseUnavailable):
        ensure_healthy(engine)
    engine.dispose()


def test_health_on_postgresql(pg_url: str) -> None:
    engine = create_state_engine(pg_url)
    assert check_health(engine) == (True, "ok")
    engine.dispose()
    assert sa.make_url(pg_url).get_backend_name() == "postgresql"


def test_a_checkpoint_cut_short_by_kill_is_not_damage(tmp_path: Path) -> None:
    """``kill -9`` during a checkpoint leaves the file's header saying more pages
    than the file holds yet, with those pages still in the WAL (the checkpoint
    never finished, so the WAL was not reset): SQLite replays them. Seen in CI
    after ``kill -9`` during submits: the restart refused a whole database as
    truncated."""
    import shutil
    import sqlite3

    path = _filled_database(tmp_path / "state.db")
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("PRAGMA wal_autocheckpoint = 0")  # the new pages stay in the WAL
    writer.execute("CREATE TABLE more (n INTEGER, pad TEXT)")
    writer.executemany("INSERT INTO more VALUES (?, ?)", [(n, "y" * 1000) for n in range(300)])
    wal = path.with_name("state.db-wal")
    before = path.stat().st_size
    shutil.copyfile(wal, tmp_path / "wal.copy")  # the WAL as the checkpoint found it
    writer.execute("PRAGMA wal_checkpoint(PASSIVE)")  # header and pages written to the file...
    writer.close()
    shutil.copyfile(tmp_path / "wal.copy", wal)  # ...but killed before the WAL was reset,
    with path.open("r+b") as handle:
        handle.truncate(before + 4096)  # and before the file was written to its end
    path.with_name("state.db-shm").unlink(missing_ok=True)  # a reboot loses the index too

    assert check_health(create_state_engine(f"sqlite:///{path}")) == (True, "ok")
    check = sqlite3.connect(path)
    assert check.execute("SELECT count(*) FROM more").fetchone() == (300,)
    check.close()


@pytest.mark.parametrize(("at", "length"), [(0.25, 4096), (0.5, 64 * 1024), (0.8, 20 * 1024)])
def test_any_damage_is_reported_in_one_line(tmp_path: Path, at: float, length: int) -> None:
    """However many pages a damage spans (SQLite then reports several findings
    under one heading), the reason is one line naming the file."""
    path = _filled_database(tmp_path / "state.db")
    with path.open("r+b") as handle:
        handle.seek(int(path.stat().st_size * at))
        handle.write(random.Random(length).randbytes(length))
    engine = create_state_engine(f"sqlite:///{path}")
    ok, reason = check_health(engine)
    engine.dispose()
    assert not ok and str(path) in reason and "\n" not in reason and "***" not in reason


@pytest.mark.parametrize(("at", "length"), [(0.25, 4096), (0.5, 64 * 1024), (0.8, 20 * 1024)])
def test_an_earlier_versions_damaged_history_is_reported_in_one_line(
    tmp_path: Path, at: float, length: int
) -> None:
    """The render history file an earlier version wrote, damaged the same ways:
    its reason is one line too (it goes into the same one-line refusal)."""
    from onepiece.state.render_history_file import inspect_history

    path = _filled_database(tmp_path / "render-jobs.db")
    with path.open("r+b") as handle:
        handle.seek(int(path.stat().st_size * at))
        handle.write(random.Random(length).randbytes(length))
    found = inspect_history(path)
    assert found.kind == "damaged", found
    assert found.reason and "\n" not in found.reason and "***" not in found.reason
