"""Portable statements the stores share (SQLite and PostgreSQL speak the same upsert)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.engine import Connection


def in_transaction(connection: Connection, key: str, default: Any = None) -> Any:
    """What ``for_transaction`` kept under ``key`` in the connection's current
    transaction, else ``default`` (a value from an earlier transaction is stale)."""
    kept = connection.info.get(key)
    if kept is not None and kept[0] is connection.get_transaction():
        return kept[1]
    return default


def for_transaction(connection: Connection, key: str, value: Any) -> None:
    """Keep ``value`` under ``key`` until the connection's current transaction ends."""
    connection.info[key] = (connection.get_transaction(), value)


def insert_statement(dialect: str, table: Table) -> Any:
    """The dialect's INSERT (it has ON CONFLICT), for statements built once."""
    from sqlalchemy.dialects import postgresql, sqlite

    if dialect == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def _insert(connection: Connection, table: Table) -> Any:
    return insert_statement(connection.dialect.name, table)


def upsert(
    connection: Connection, table: Table, values: dict[str, Any], keys: Sequence[str]
) -> None:
    """Insert ``values``, or update the row with the same ``keys``."""
    statement = _insert(connection, table).values(**values)
    changes = {name: statement.excluded[name] for name in values if name not in keys}
    connection.execute(statement.on_conflict_do_update(index_elements=list(keys), set_=changes))


def insert_new(
    connection: Connection, table: Table, values: dict[str, Any], keys: Sequence[str]
) -> bool:
    """Insert ``values`` unless a row with the same ``keys`` exists; True when inserted."""
    statement = _insert(connection, table).values(**values)
    statement = statement.on_conflict_do_nothing(index_elements=list(keys))
    # RETURNING, not rowcount: psycopg reports -1 for an INSERT ... ON CONFLICT.
    inserted = connection.execute(statement.returning(*table.primary_key.columns)).first()
    return inserted is not None
