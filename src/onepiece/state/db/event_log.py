"""The event log: events with database-generated ids, readable from any worker.

Ids come from the database (SQLite AUTOINCREMENT, a PostgreSQL sequence), so
a client reconnecting to another worker with ``Last-Event-ID`` resumes from
the same numbering. On PostgreSQL a sequence value is taken before its
transaction commits, so ids can become visible out of order under concurrent
appends; a reader that must never skip one re-reads a short window behind its
last id (``event_feed.EventFeed`` waits briefly for such a gap to fill).
"""

from __future__ import annotations

import functools
import time
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, delete, func, select, text
from sqlalchemy.engine import Connection, Engine

from onepiece.state.db import schema
from onepiece.state.db.engine import reading
from onepiece.state.db.notify import CHANNEL
from onepiece.state.db.ports import StoredEvent
from onepiece.state.db.sql import for_transaction, in_transaction

EVENTS_TOPIC = "events"  # the notification that wakes the event feeds
_NOTIFIED = "onepiece.events_notified"  # for_transaction: this one sent its NOTIFY
# Built once: every job and run write appends an event (a submit's hot path).
_INSERT = schema.events.insert().returning(schema.events.c.id)


def append_event(connection: Connection, topic: str, type: str, data: dict[str, Any]) -> int:
    """Append an event inside the caller's transaction: it commits (or not) with
    the write it describes, so an acknowledged write always has its event."""
    values = {"topic": topic, "type": type, "data": data, "created_at": time.time()}
    event_id = int(connection.execute(_INSERT, values).scalar_one())
    _notify_once(connection)
    return event_id


def append_events(
    connection: Connection, topic: str, type: str, bodies: list[dict[str, Any]]
) -> None:
    """Several events of one type in one statement, as ``append_event`` appends one."""
    if bodies:
        now = time.time()
        rows = [{"topic": topic, "type": type, "data": data, "created_at": now} for data in bodies]
        connection.execute(schema.events.insert(), rows)
        _notify_once(connection)


def _notify_once(connection: Connection) -> None:
    """PostgreSQL: delivered at commit (never for a rolled-back write), it wakes
    every serve process's event feed at once. One per transaction is enough."""
    if connection.dialect.name == "postgresql" and not in_transaction(connection, _NOTIFIED, False):
        notice = text("SELECT pg_notify(:channel, :topic)")
        connection.execute(notice, {"channel": CHANNEL, "topic": EVENTS_TOPIC})
        for_transaction(connection, _NOTIFIED, True)


@functools.lru_cache(maxsize=8)
def _since(limit: int, by_topic: bool) -> Any:
    """Built once per shape: every event feed round runs it (up to a hundred a
    second under a burst of submits), and building it was about a third of its
    Python time in a GIL profile of the submit benchmark."""
    table = schema.events
    query = select(table).where(table.c.id > bindparam("after_id")).order_by(table.c.id)
    if by_topic:
        query = query.where(table.c.topic == bindparam("topic"))
    return query.limit(limit)


class SqlEventLog:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def append(self, topic: str, type: str, data: dict[str, Any]) -> int:
        with self.engine.begin() as connection:
            return append_event(connection, topic, type, data)

    def since(
        self, after_id: int, *, topic: str | None = None, limit: int = 1000
    ) -> list[StoredEvent]:
        query = _since(limit, topic is not None)
        with reading(self.engine) as connection:
            rows = connection.execute(query, {"after_id": after_id, "topic": topic}).all()
        return [
            StoredEvent(row.id, row.topic, row.type, dict(row.data), row.created_at) for row in rows
        ]

    def recent(self, topic: str, count: int) -> list[StoredEvent]:
        """The newest ``count`` events of ``topic``, oldest first."""
        table = schema.events
        query = select(table).where(table.c.topic == topic).order_by(table.c.id.desc()).limit(count)
        with reading(self.engine) as connection:
            rows = connection.execute(query).all()
        return [
            StoredEvent(row.id, row.topic, row.type, dict(row.data), row.created_at)
            for row in reversed(rows)
        ]

    def last_id(self) -> int:
        with reading(self.engine) as connection:
            newest = connection.scalar(select(func.max(schema.events.c.id)))
        return int(newest or 0)

    def prune(self, keep: int) -> int:
        """Keep the newest ``keep`` events (the replay window); returns how many went."""
        table = schema.events
        with self.engine.begin() as connection:
            newest = connection.scalar(select(func.coalesce(func.max(table.c.id), 0))) or 0
            result = connection.execute(delete(table).where(table.c.id <= newest - keep))
        return int(result.rowcount)


if TYPE_CHECKING:  # the log satisfies its port (checked by mypy)
    from onepiece.state.db.ports import EventLog

    _log: type[EventLog] = SqlEventLog
