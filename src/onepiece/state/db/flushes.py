"""Cache flushes every worker sees: a generation counter in the state database.

``onepiece serve --workers N`` runs N processes, each with its own dashboard
cache in memory. A flush through one worker bumps ``cache.flushes`` in the
state database (the same transaction discipline as every other write); each
worker looks at the counter before it answers from its cache and flushes its
own when the counter moved. It reads the counter at most once a second
(``READ_EVERY_SECONDS``), not on every lookup: a busy dashboard makes many
lookups a request, some on the event loop (``/metrics``), and each read would
be a database round trip there. So a flush reaches every worker within a
second, not at its next poll round; the worker that flushed has emptied its
own cache already. PostgreSQL's ``NOTIFY`` (state.db.notify) also reaches
other hosts at once; this counter is what makes it reliable between workers
on either backend.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from onepiece.state.db import schema
from onepiece.state.db.engine import reading
from onepiece.state.db.sql import insert_new

COUNTER = "cache.flushes"
READ_EVERY_SECONDS = 1.0


class SharedCacheFlushes:
    def __init__(self, engine: Engine, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.engine = engine
        self._clock = clock
        self._seen: int | None = None  # None: this process has not looked yet
        self._next_read: float | None = None  # None: read at the next look
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
        """True once for each flush made by another worker since the last read of the
        counter; False without reading it within a second of the last read."""
        now = self._clock()
        with self._lock:
            if self._next_read is not None and now < self._next_read:
                return False
            self._next_read = now + READ_EVERY_SECONDS  # one reader a second, not one each
        counters = schema.counters
        with reading(self.engine) as connection:
            value = connection.scalar(select(counters.c.value).where(counters.c.name == COUNTER))
        current = int(value or 0)
        with self._lock:
            # A process that just started has nothing cached to throw away.
            missed = self._seen is not None and current != self._seen
            self._seen = current
        return missed
