"""Two first commands on a new machine: one creates the SQLite state database
while the other checks it. The file is empty for a moment after SQLite creates
it; the second must wait for the first, not call the database damaged."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time
from pathlib import Path

from onepiece.state.db.engine import create_state_engine
from onepiece.state.db.migrate import HEAD_REVISION, check_schema
from onepiece.state.db.startup import prepare


def test_a_database_being_created_by_another_process_is_waited_for(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    # The other process, mid-creation: it holds the folder's lock, the file is empty.
    held = os.open(tmp_path, os.O_RDONLY)
    fcntl.flock(held, fcntl.LOCK_EX)
    path.touch()
    engine = create_state_engine(f"sqlite:///{path}")
    outcome: dict[str, object] = {}

    def second() -> None:
        try:
            outcome["prepared"] = prepare(engine, None)
        except Exception as exc:  # noqa: BLE001 - the assertion below shows it
            outcome["error"] = exc

    thread = threading.Thread(target=second)
    thread.start()
    time.sleep(0.3)  # the second reaches its check while the file is still empty
    assert "error" not in outcome, outcome["error"]
    with sqlite3.connect(path) as db:  # the other process writes its first page
        db.execute("PRAGMA auto_vacuum = INCREMENTAL")
        db.execute("PRAGMA user_version = 0")
    os.close(held)  # and is done
    thread.join(30)
    assert "error" not in outcome, outcome.get("error")
    assert check_schema(engine).current == HEAD_REVISION
    engine.dispose()


def test_an_empty_file_nobody_is_creating_is_still_refused(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    path.touch()
    engine = create_state_engine(f"sqlite:///{path}")
    try:
        prepare(engine, None)
    except Exception as exc:  # noqa: BLE001
        assert "is empty (0 bytes)" in str(exc)
    else:
        raise AssertionError("an empty state database was accepted")
    finally:
        engine.dispose()
