"""``onepiece db status`` / ``db upgrade``: pure JSON, one-line refusals, both backends."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from onepiece.config import load_config
from onepiece.state.db.engine import create_state_engine, database_url
from onepiece.state.db.migrate import upgrade_plan


def _onepiece(
    tmp_path: Path, *args: str, url: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data")}
    env.pop("ONEPIECE_DATABASE_URL", None)
    if url is not None:
        env["ONEPIECE_DATABASE_URL"] = url
    return subprocess.run(
        [sys.executable, "-m", "onepiece", "db", *args],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_default_is_a_sqlite_file_in_the_data_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    settings = load_config(environ={}).settings
    assert database_url(settings) == f"sqlite:///{tmp_path / 'onepiece' / 'state.db'}"
    url = "postgresql://op@db.studio/state"
    settings = load_config(environ={"ONEPIECE_DATABASE_URL": url}).settings
    assert database_url(settings) == url


def test_status_and_dry_run_do_not_create_the_database(tmp_path: Path) -> None:
    status = _onepiece(tmp_path, "status", "--format", "json")
    assert status.returncode == 0, status.stderr
    body = json.loads(status.stdout)
    _, revisions = upgrade_plan()
    assert body["current"] is None and [p["revision"] for p in body["pending"]] == revisions
    dry = _onepiece(tmp_path, "upgrade", "--dry-run", "--format", "json")
    assert dry.returncode == 0 and json.loads(dry.stdout)["dry_run"] is True
    assert not (tmp_path / "data" / "onepiece" / "state.db").exists()


def test_upgrade_creates_migrates_and_reports_imports(tmp_path: Path) -> None:
    runs = tmp_path / "data" / "onepiece" / "ingest-runs.json"
    runs.parent.mkdir(parents=True)
    runs.write_text(json.dumps({"format": 1, "runs": [{"id": "r1", "status": "completed"}]}))
    first = _onepiece(tmp_path, "upgrade")
    assert first.returncode == 0, first.stderr
    assert "applied 0001" in first.stdout
    assert f"imported 1 ingest_runs record(s) from {runs}" in first.stdout
    second = _onepiece(tmp_path, "upgrade", "--format", "json")
    body = json.loads(second.stdout)
    assert body["applied"] == []
    by_name = {r["name"]: r for r in body["imports"]}
    assert by_name["ingest_runs"]["already_done"]
    # The others had no file: not recorded as imported, looked for again next time.
    assert all(
        r["missing"] and not r["already_done"] for n, r in by_name.items() if n != "ingest_runs"
    )
    status = json.loads(_onepiece(tmp_path, "status", "--format", "json").stdout)
    assert status["pending"] == [] and status["imports_pending"] == []


def test_upgrade_on_postgresql(tmp_path: Path, pg_url: str) -> None:
    engine = sa.create_engine(pg_url)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP SCHEMA public CASCADE")
        connection.exec_driver_sql("CREATE SCHEMA public")
    engine.dispose()
    result = _onepiece(tmp_path, "upgrade", "--format", "json", url=pg_url)
    assert result.returncode == 0, result.stderr
    assert [a["revision"] for a in json.loads(result.stdout)["applied"]] == upgrade_plan()[1]
    status = json.loads(_onepiece(tmp_path, "status", "--format", "json", url=pg_url).stdout)
    assert status["backend"] == "postgresql" and status["current"] == upgrade_plan()[0]


def test_a_newer_schema_is_refused_in_one_line(tmp_path: Path) -> None:
    assert _onepiece(tmp_path, "upgrade").returncode == 0
    engine = create_state_engine(f"sqlite:///{tmp_path / 'data' / 'onepiece' / 'state.db'}")
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '0999'")
    engine.dispose()
    result = _onepiece(tmp_path, "upgrade")
    assert result.returncode == 3
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "0999" in lines[0] and "newer than this OnePiece" in lines[0]
    status = _onepiece(tmp_path, "status", "--format", "json")
    assert status.returncode == 3 and json.loads(status.stdout)["known"] is False


def test_status_says_a_server_away_is_unavailable_and_a_bad_file_damaged(
    tmp_path: Path,
) -> None:
    away = _onepiece(tmp_path, "status", url="postgresql://postgres@127.0.0.1:1/x")
    assert away.returncode == 3
    assert "UNAVAILABLE:" in away.stdout and "DAMAGED" not in away.stdout
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not a database at all" * 100)
    damaged = _onepiece(tmp_path, "status", url=f"sqlite:///{garbage}")
    assert damaged.returncode == 3
    assert "DAMAGED:" in damaged.stdout and "wrong header" in damaged.stdout


def test_an_unreachable_server_is_one_line(tmp_path: Path) -> None:
    result = _onepiece(tmp_path, "upgrade", url="postgresql://postgres:pw-secret@127.0.0.1:1/x")
    assert result.returncode == 3
    assert len(result.stderr.strip().splitlines()) == 1
    assert "pw-secret" not in result.stderr + result.stdout


def _runs_cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data")}
    env.pop("ONEPIECE_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "onepiece", "runs", "export", *args],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_runs_export_writes_the_documented_format(tmp_path: Path) -> None:
    registry = tmp_path / "data" / "onepiece" / "ingest-runs.json"
    registry.parent.mkdir(parents=True)
    runs = [{"id": f"ingest-{n}", "status": "completed", "counts": {"files": n}} for n in range(3)]
    registry.write_text(json.dumps({"format": 1, "runs": runs}))
    # No upgrade first: the export prepares the default state.db, importing the file once.
    exported = _runs_cli(tmp_path)
    assert exported.returncode == 0, exported.stderr
    assert json.loads(exported.stdout) == {"format": 1, "runs": runs}
    assert "imported 3 ingest_runs" in exported.stderr
    again = _runs_cli(tmp_path)
    assert json.loads(again.stdout) == {"format": 1, "runs": runs}  # not imported twice
    target = tmp_path / "export.json"
    written = _runs_cli(tmp_path, "--output", str(target))
    assert written.returncode == 0 and written.stdout == ""
    assert json.loads(target.read_text()) == {"format": 1, "runs": runs}


@pytest.mark.parametrize("where", ["a folder", "under a file", "read-only folder"])
def test_runs_export_to_a_place_that_cannot_be_written_is_exit_4(
    tmp_path: Path, where: str
) -> None:
    if where == "a folder":
        target = tmp_path / "exports"
        target.mkdir()
    elif where == "under a file":
        (tmp_path / "plain").write_text("x")
        target = tmp_path / "plain" / "runs.json"
    else:
        target = Path("/proc/onepiece-runs.json")  # refuses every create, even root's
    result = _runs_cli(tmp_path, "--output", str(target))
    assert result.returncode == 4, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: ") and str(target).split("/")[1] in line, line


def test_the_database_url_can_come_from_onepiece_toml(tmp_path: Path) -> None:
    chosen = tmp_path / "elsewhere" / "studio-state.db"
    (tmp_path / "onepiece.toml").write_text(f'[database]\nurl = "sqlite:///{chosen}"\n')
    result = _onepiece(tmp_path, "upgrade", "--format", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["database"] == str(chosen)
    assert chosen.is_file() and not (tmp_path / "data" / "onepiece" / "state.db").exists()
