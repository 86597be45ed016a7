"""Issue 15: ``onepiece serve`` on the state database: prepared before it
listens (the one-time import reported), refused in one line when damaged or
too new (exit 3), and ``/health`` says ``degraded`` once the file is damaged."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa


def _env(tmp_path: Path, url: str) -> dict[str, str]:
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"), "ONEPIECE_DATABASE_URL": url}
    env.pop("TRAFALGAR_READ_TOKEN", None)
    return env


def _serve(tmp_path: Path, url: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "onepiece", "serve", "--port", "0"],
        env=_env(tmp_path, url), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def test_serve_imports_once_reports_it_and_health_turns_degraded(tmp_path: Path) -> None:
    data = tmp_path / "data" / "onepiece"
    data.mkdir(parents=True)
    runs = [{"id": f"ingest-{n}", "status": "completed"} for n in range(3)]
    (data / "ingest-runs.json").write_text(json.dumps({"format": 1, "runs": runs}))
    path = tmp_path / "state.db"
    process = _serve(tmp_path, f"sqlite:///{path}")
    lines: list[str] = []
    try:
        assert process.stderr is not None
        for line in process.stderr:
            lines.append(line)
            if "listening on" in line:
                break
        log = "".join(lines)
        found = re.search(r"listening on (http://127\.0\.0\.1:\d+)", log)
        assert found, log
        assert "imported 3 ingest_runs" in log
        url = found.group(1)
        health = httpx.get(url + "/health", timeout=10).json()
        assert health["database"] == {"status": "ok", "backend": "sqlite"}
        assert {r["id"] for r in httpx.get(url + "/runs", timeout=10).json()["runs"]} == {
            "ingest-0", "ingest-1", "ingest-2",
        }  # fmt: skip

        with path.open("r+b") as handle:  # someone scribbles over the header
            handle.write(b"not a database!!")
        health = httpx.get(url + "/health", timeout=10).json()
        assert health["status"] == "degraded"
        assert health["database"]["status"] == "degraded"
        assert "wrong header" in health["database"]["reason"]
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=20)


def _refused(tmp_path: Path, url: str) -> str:
    process = _serve(tmp_path, url)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 3, stderr
    assert "listening" not in stderr and "Traceback" not in stderr
    return stderr


def test_serve_refuses_a_damaged_state_database_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    for damage in (b"", os.urandom(4096)):
        path.write_bytes(damage)
        stderr = _refused(tmp_path, f"sqlite:///{path}")
        assert str(path) in stderr
        assert path.read_bytes() == damage  # reported, never replaced


def test_serve_refuses_a_schema_newer_than_it_knows(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE alembic_version (version_num VARCHAR(32))")
        connection.exec_driver_sql("INSERT INTO alembic_version VALUES ('9999_from_the_future')")
    engine.dispose()
    stderr = _refused(tmp_path, f"sqlite:///{path}")
    assert "newer" in stderr.lower()


def test_serve_refuses_an_unreachable_database_server_in_one_line(tmp_path: Path) -> None:
    from tests.unreachable import unreachable

    with unreachable("refused") as address:
        stderr = _refused(tmp_path, f"postgresql://onepiece:s3cret-pw@{address}/onepiece")
    assert "cannot be opened" in stderr and "s3cret-pw" not in stderr


def _state_db(path: Path, keys: int = 3000) -> None:
    """A real state database with enough pages that the middle holds records."""
    from onepiece.state.db.engine import create_state_engine
    from onepiece.state.db.idempotency import SqlIdempotencyStore
    from onepiece.state.db.migrate import upgrade

    engine = create_state_engine(f"sqlite:///{path}")
    upgrade(engine)
    store = SqlIdempotencyStore(engine)
    with engine.begin() as connection:
        connection.execute(
            sa.text("INSERT INTO idempotency_keys VALUES (:k, :h, :j, 0)"),
            [{"k": f"key-{n:06d}", "h": "h" * 64, "j": f"job{n:09d}"} for n in range(keys)],
        )
    assert store.claim("key-000001", "h" * 64) == "job000000001"
    engine.dispose()  # checkpoints the WAL into the file


def _truncate(path: Path) -> None:
    with path.open("r+b") as handle:
        handle.truncate(path.stat().st_size // 2)


def _scribble(path: Path) -> None:
    import random

    with path.open("r+b") as handle:
        handle.seek(path.stat().st_size // 2)
        handle.write(random.Random(15).randbytes(8192))


@pytest.mark.parametrize("configured", [True, False], ids=["url", "default"])
@pytest.mark.parametrize("damage", [_truncate, _scribble], ids=["truncated", "scribbled"])
def test_a_damaged_file_is_refused_before_listening_never_replaced(
    isolated_env: Path, damage: Callable[[Path], None], configured: bool
) -> None:
    """Truncated, or random bytes in the middle; with a URL or the default state.db."""
    path = isolated_env / "data" / "onepiece" / "state.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    _state_db(path)
    damage(path)
    damaged = path.read_bytes()
    env = {**os.environ}
    env.pop("TRAFALGAR_READ_TOKEN", None)
    if configured:
        env["ONEPIECE_DATABASE_URL"] = f"sqlite:///{path}"
    process = subprocess.run(
        [sys.executable, "-m", "onepiece", "serve", "--port", "0"],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert process.returncode == 3, process.stderr
    assert str(path) in process.stderr
    assert "truncated" in process.stderr or "integrity" in process.stderr, process.stderr
    assert "listening" not in process.stderr and "Traceback" not in process.stderr
    assert path.read_bytes() == damaged  # reported, never replaced or written
