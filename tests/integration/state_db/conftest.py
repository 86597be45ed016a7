"""State database fixtures: a fresh SQLite file, and a PostgreSQL database of our own.

The PostgreSQL server runs on 127.0.0.1:5432 (user postgres, trust auth). The
suite creates one database per test session (``onepiece_test_<random>``),
empties its schema before each test and drops it at the end. When the server
cannot be reached the PostgreSQL cases are skipped, saying so.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from onepiece.state.db.engine import create_state_engine
from onepiece.state.db.migrate import upgrade

if TYPE_CHECKING:
    from onepiece.bootstrap import Container
    from tests.web_server import LiveServer

PG_ADMIN_URL = os.environ.get(
    "ONEPIECE_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """URL of a database created for this session (dropped afterwards)."""
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"onepiece_test_{secrets.token_hex(4)}"
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sa.exc.OperationalError as exc:
        admin.dispose()
        reason = str(exc.orig).splitlines()[0] if exc.orig else str(exc)
        pytest.skip(f"PostgreSQL at {PG_ADMIN_URL} is unreachable: {reason}")
    try:
        yield sa.make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def _empty_pg(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP SCHEMA public CASCADE")
        connection.exec_driver_sql("CREATE SCHEMA public")
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database of each backend, as a URL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state.db'}"
    url: str = request.getfixturevalue("pg_url")
    _empty_pg(url)
    return url


@pytest.fixture
def empty_engine(db_url: str) -> Iterator[Engine]:
    engine = create_state_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def engine(empty_engine: Engine) -> Engine:
    """A database of each backend at the newest schema."""
    upgrade(empty_engine)
    return empty_engine


def container_for(tmp_path: Path, url: str | None) -> Container:
    """A container on ``tmp_path``'s data directory; ``url`` None: the default state.db."""
    from onepiece.bootstrap import Container
    from onepiece.config import load_config

    environ = {"XDG_DATA_HOME": str(tmp_path / "data")}
    if url is not None:
        environ["ONEPIECE_DATABASE_URL"] = url
    old = os.environ.get("XDG_DATA_HOME")
    os.environ["XDG_DATA_HOME"] = environ["XDG_DATA_HOME"]
    try:
        return Container(load_config(environ=environ).settings)
    finally:
        if old is None:
            os.environ.pop("XDG_DATA_HOME", None)
        else:
            os.environ["XDG_DATA_HOME"] = old


ADMIN_TOKEN = "state-db-admin-5c1d02"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture
def server(tmp_path: Path, db_url: str) -> Iterator[LiveServer]:
    """Trafalgar under a real uvicorn server on each backend: the mock farm on,
    the poller idle, ``ADMIN`` its dashboard token."""
    from onepiece.config import Settings
    from onepiece.web.app import create_app
    from tests.web_server import serve_app

    settings = Settings(
        data_dir=tmp_path / "data",
        trafalgar={"dashboard_token": ADMIN_TOKEN},
        render={"poll_seconds": 60, "mock_enabled": True},
        database={"url": db_url},
    )
    with serve_app(create_app(settings)) as live:
        yield live
