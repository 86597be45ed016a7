"""Cache flushes every worker sees: a generation counter in the state database.

``onepiece serve --workers N`` runs N processes, each with its own dashboard
cache in memory. A flush through one worker bumps ``cache.flushes`` in the
state database (the same transaction discipline as every other write); each
worker reads the counter before it answers from its cache and flushes its
own when the counter moved. The read is one primary-key lookup, so a flush
is seen by the very next request on any worker, not at the next poll round.
PostgreSQL's ``NOTIFY`` (state.db.notify) also reaches other hosts at once;
this counter is what makes it exact between workers on either backend.
"""

from __future__ import annotations

import threading

from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from onepiece.state.db import schema
from onepiece.state.db.engine import reading
from onepiece.state.db.sql import insert_new

COUNTER = "cache.flushes"


class SharedCacheFlushes:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._seen: int | None = None  # None: this process has not looked yet
        self._lock = threading.Lock()

    def flushed(self) -> None:
        """Record a flush made here, for the other workers to follow."""
        counters = schema.counters
        with self.engine.begin() as connection:
            insert_new(connection, counters, {"name": COUNTER, "value": 0}, ["name"])
            connection.execute(
                update(counters)
                .where(counters.c.name == COUNTER)
                .values(value=counters.c.value + 1)
            )
            value = connection.scalar(select(counters.c.value).where(counters.c.name == COUNTER))
        with self._lock:
            self._seen = int(value or 0)  # this worker flushed already

    def missed(self) -> bool:
        """True once for each flush made by another worker since the last look."""
        counters = schema.counters
        with reading(self.engine) as connection:
            value = connection.scalar(select(counters.c.value).where(counters.c.name == COUNTER))
        current = int(value or 0)
        with self._lock:
            # A process that just started has nothing cached to throw away.
            missed = self._seen is not None and current != self._seen
            self._seen = current
        return missed
