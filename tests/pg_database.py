"""``database_env``: environment for ``onepiece serve`` on each backend.

Nothing for the SQLite default; on PostgreSQL (127.0.0.1:5432, trust auth) a
database of the test's own, created for it and dropped afterwards. Skipped,
saying so, when the server cannot be reached.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@contextlib.contextmanager
def fresh_pg_database(prefix: str) -> Iterator[str]:
    """A new PostgreSQL database's name, dropped afterwards; the test is skipped,
    saying so, when the server cannot be reached."""
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{secrets.token_hex(4)}"
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sa.exc.OperationalError as exc:
        admin.dispose()
        pytest.skip(f"PostgreSQL at {PG_ADMIN_URL} is unreachable: {exc.orig}")
    try:
        yield name
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_env(request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    if request.param == "sqlite":
        yield {}
        return
    with fresh_pg_database("onepiece_e2e") as name:
        yield {"ONEPIECE_DATABASE_URL": f"postgresql://postgres@127.0.0.1:5432/{name}"}
