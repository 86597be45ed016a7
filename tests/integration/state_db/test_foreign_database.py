"""A database that is another application's is refused in one line, exit 3,
before anything is written: tables of our names without our schema, or an
Alembic revision that is not ours; both backends."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tests.cli_process import run_onepiece


def _upgrade(tmp_path: Path, url: str) -> subprocess.CompletedProcess[str]:
    return run_onepiece(tmp_path / "data", "db", "upgrade", database_url=url)


@pytest.mark.parametrize("table", ["events", "projects", "deliveries"])
def test_tables_of_our_names_without_our_schema_are_refused(
    tmp_path: Path, db_url: str, empty_engine: Engine, table: str
) -> None:
    with empty_engine.begin() as connection:
        connection.execute(sa.text(f"CREATE TABLE {table} (other_app_id INTEGER, note TEXT)"))
        connection.execute(sa.text(f"INSERT INTO {table} VALUES (1, 'theirs')"))
    result = _upgrade(tmp_path, db_url)
    assert result.returncode == 3, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert "another application" in line and table in line and "this is a bug" not in line
    with empty_engine.connect() as connection:  # nothing of ours was created
        assert sa.inspect(connection).get_table_names() == [table]


@pytest.mark.parametrize("revision", ["abc123", "ae1027a6acf"])
def test_a_revision_that_is_not_ours_is_named_as_possibly_another_applications(
    tmp_path: Path, db_url: str, empty_engine: Engine, revision: str
) -> None:
    with empty_engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE alembic_version (version_num VARCHAR(32))"))
        connection.execute(sa.text(f"INSERT INTO alembic_version VALUES ('{revision}')"))
    result = _upgrade(tmp_path, db_url)
    assert result.returncode == 3, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert revision in line and "another application" in line, line
