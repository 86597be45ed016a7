"""The state database engine: one URL, SQLite by default, PostgreSQL for a studio.

``database_url(settings)`` resolves ``ONEPIECE_DATABASE_URL`` / ``[database]
url``; without one it is the SQLite file ``<data_dir>/state.db``. SQLite runs
in WAL mode with a busy timeout and foreign keys on, and every transaction is
``BEGIN IMMEDIATE``: a writer takes the write lock up front (waiting up to the
busy timeout) instead of failing mid-transaction when another process wrote
first, which is what makes concurrent claims and imports race-safe.
``postgresql://`` URLs use psycopg 3.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from onepiece.state.db.errors import DatabaseUnavailable

if TYPE_CHECKING:
    from sqlalchemy.engine import URL, Connection, Engine

    from onepiece.config.model import Settings

BUSY_TIMEOUT_MS = 10_000
READ_ONLY_OPTION = "onepiece_read_only"


def database_url(settings: Settings) -> str:
    configured = settings.database.url
    if configured is not None and configured.get_secret_value().strip():
        return configured.get_secret_value().strip()
    return f"sqlite:///{Path(settings.state_db_path).absolute()}"


def normalise_url(url: str) -> URL:
    """Parse ``url``; bare ``postgresql://`` means psycopg 3 (not psycopg2)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
        if parsed.port is not None and not 0 < parsed.port < 65536:  # not a number: ValueError
            raise ValueError(parsed.port)
    except (ArgumentError, ValueError) as exc:
        raise DatabaseUnavailable(
            "the state database URL is not a valid URL",
            hint=f"set ONEPIECE_DATABASE_URL to {SQLITE_EXAMPLE} or postgresql://USER@HOST/DB",
        ) from exc
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise DatabaseUnavailable(
            f"unsupported state database {parsed.get_backend_name()!r}",
            hint=f"use {SQLITE_EXAMPLE} or postgresql://USER@HOST/DB",
        )
    path = sqlite_path(parsed)
    if path is not None and not path.is_absolute():
        # sqlite:///a/b is the relative a/b: each working folder would get its own.
        raise DatabaseUnavailable(
            f"the state database path {path} is relative to the working folder",
            hint=f"give an absolute path, with four slashes: sqlite:////{path}",
        )
    return parsed


SQLITE_EXAMPLE = "sqlite:////ABSOLUTE/PATH/state.db"


def describe(url: URL) -> str:
    """The database for messages: a SQLite file's path, else the URL without its
    secrets, whether in its user part or in its query (libpq takes
    ``?password=``, ``?sslpassword=``...)."""
    path = sqlite_path(url)
    if path is not None:
        return str(path)
    hidden = {key: "***" for key in url.query if _SECRET_PARAMETER.search(key)}
    shown = url.update_query_dict(hidden).render_as_string(hide_password=True)
    return shown.replace("%2A%2A%2A", "***")  # as the user part's password shows


_SECRET_PARAMETER = re.compile(r"pass|secret|token|key", re.IGNORECASE)


def sqlite_path(url: URL) -> Path | None:
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(str(url.database))


def database_absent(url: URL) -> bool:
    """A SQLite file not created yet (opening it would create it)."""
    path = sqlite_path(url)
    return path is not None and not path.exists()


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Our own transaction control: pysqlite's would defer BEGIN past DDL and reads.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    # A new, empty file only (setting it on an existing one writes to it): lets
    # compaction hand pruned pages back to the disk.
    if cursor.execute("PRAGMA page_count").fetchone()[0] == 0:
        cursor.execute("PRAGMA auto_vacuum = INCREMENTAL")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def fsync_every_commit(engine: Engine) -> None:
    """SQLite ``synchronous=FULL``: a commit also survives power loss, at the disk's
    fsync rate (``trafalgar.render_jobs_sync = "full"``). PostgreSQL: its own setting."""
    from sqlalchemy import event

    def full(dbapi_connection: Any, _record: Any) -> None:  # after _on_sqlite_connect
        dbapi_connection.execute("PRAGMA synchronous = FULL")

    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", full)


def _on_sqlite_begin(connection: Any) -> None:
    # Readers (``reading``) never write: a deferred BEGIN lets them run beside
    # a writer in WAL mode instead of queueing for the write lock.
    read_only = connection.get_execution_options().get(READ_ONLY_OPTION)
    connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def reading(engine: Engine) -> Connection:
    """A connection for reads only (use as ``with reading(engine) as connection``)."""
    return engine.execution_options(**{READ_ONLY_OPTION: True}).connect()


def create_state_engine(url: str | URL) -> Engine:
    """An engine for ``url`` (nothing is connected yet)."""
    from sqlalchemy import create_engine, event

    parsed = normalise_url(url) if isinstance(url, str) else url
    if parsed.get_backend_name() == "sqlite":
        path = sqlite_path(parsed)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "connect", _on_sqlite_connect)
        event.listen(engine, "begin", _on_sqlite_begin)
        if path is not None:
            from onepiece.state.db.damage import watch

            watch(engine, path)
        return engine
    return create_engine(parsed, pool_pre_ping=True)


def engine_for(settings: Settings) -> Engine:
    return create_state_engine(database_url(settings))
