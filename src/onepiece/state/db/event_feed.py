"""Tail the state database's event log into this process's broker.

Every job and ingest run write appends its stream event to the ``events``
table in its own transaction (``event_log.append_event``), whichever process
or host made it. Each ``onepiece serve`` process runs one feed: a thread that
reads the events after the last one it published and publishes them with the
DATABASE id as their event id, so every worker's streams carry the same ids
and a client reconnecting anywhere with ``Last-Event-ID`` is replayed exactly
what it missed (the broker skips what it already had).

What wakes the feed: on PostgreSQL, the ``NOTIFY`` each event's transaction
sends (``notify.PgListener`` calls ``wake``), with a slow poll as a safety
net; on SQLite, a poll every ``SQLITE_POLL_SECONDS`` (an indexed range read
of nothing, most of the time). A write of this process wakes it at once.

Ids are visible in order on SQLite (one writer at a time). On PostgreSQL a
sequence value is taken before its transaction commits, so a later id can
become visible first: the feed publishes up to the first gap and waits up to
``GAP_WAIT_SECONDS`` for it to fill; a gap still open then was a rolled-back
transaction (sequences never give a value back) and is passed over.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from typing import Any, Protocol

from sqlalchemy.exc import SQLAlchemyError

from onepiece.state.db.event_log import SqlEventLog
from onepiece.state.db.ports import StoredEvent

log = logging.getLogger(__name__)

SQLITE_POLL_SECONDS = 0.15
PG_POLL_SECONDS = 1.0  # LISTEN/NOTIFY wakes the feed; the poll only covers a lost notice
GAP_WAIT_SECONDS = 2.0
BATCH = 1000
# Under a burst of writes (hundreds of submits a second) the feed reads the log
# at most this often, in batches, rather than once per write: a stream event is
# at most this much later, and the reads stop costing each write a query.
COALESCE_SECONDS = 0.01


class Publisher(Protocol):
    """What the feed publishes into: the process's broker (``onepiece.events.Broker``)."""

    replay_size: int

    def publish(
        self, topic: str, name: str, data: dict[str, Any], *, event_id: int | None = None
    ) -> object: ...

    def prime(self, topic: str, events: list[tuple[int, str, dict[str, Any]]], last: int) -> None:
        """Fill ``topic``'s replay buffer with the log's newest events (nothing sent)."""


class EventFeed:
    def __init__(
        self, events: SqlEventLog, broker: Publisher, topics: Sequence[str], *, interval: float
    ) -> None:
        self.events = events
        self.broker = broker
        self.topics = tuple(topics)
        self.interval = interval
        self.last_id = 0  # the newest event published (or passed over)
        self._gap_since: float | None = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.last_error: str | None = None

    def prime(self) -> None:
        """Load the newest events into the broker's replay buffers (nothing is sent):
        a worker that just started can replay for a client coming from another."""
        with self._lock:
            self.last_id = self.events.last_id()
            for topic in self.topics:
                recent = self.events.recent(topic, self.broker.replay_size)
                self.broker.prime(topic, [(e.id, e.type, e.data) for e in recent], self.last_id)

    def start(self) -> None:
        if self._thread is None:
            self.prime()
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="event-feed", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def wake(self) -> None:
        """Read the log now (a write of this process, or another's NOTIFY)."""
        if not self._wake.is_set():  # set() wakes waiters under a lock: once is enough
            self._wake.set()

    def _run(self) -> None:
        last_check = 0.0
        while not self._stop.is_set():
            # An open gap is looked at again soon, not a whole interval later.
            self._wake.wait(0.05 if self._gap_since is not None else self.interval)
            since = time.monotonic() - last_check
            if since < COALESCE_SECONDS and self._stop.wait(COALESCE_SECONDS - since):
                return
            self._wake.clear()
            if self._stop.is_set():
                return
            last_check = time.monotonic()
            try:
                self.check()
                self.last_error = None
            except SQLAlchemyError as exc:  # the database is away: try again next round
                message = str(getattr(exc, "orig", exc)).strip()
                if message != self.last_error:
                    log.warning("reading the event log: %s", message)
                self.last_error = message

    def check(self) -> int:
        """Publish the events after the last one published; returns how many."""
        published = 0
        with self._lock:
            while batch := self.events.since(self.last_id, limit=BATCH):
                for event in batch:
                    if not self._in_order(event):
                        return published
                    self.last_id = event.id
                    if event.topic in self.topics:
                        self.broker.publish(event.topic, event.type, event.data, event_id=event.id)
                        published += 1
                if len(batch) < BATCH:
                    break
        return published

    def _in_order(self, event: StoredEvent) -> bool:
        """The next id, or a gap before it that has stayed open long enough."""
        if event.id == self.last_id + 1:
            self._gap_since = None
            return True
        now = time.monotonic()
        if self._gap_since is None:
            self._gap_since = now
        if now - self._gap_since >= GAP_WAIT_SECONDS:
            gap = (self.last_id + 1, event.id - 1)
            log.debug("event ids %d-%d never committed: passed over", *gap)
            self._gap_since = None
            return True
        return False
