"""The in-process event broker behind the live streams (SSE and WebSocket).

One broker per process, topics ``jobs`` and ``runs``. ``publish`` is safe from
any thread (the render poller and the run-registry watcher are threads): it
assigns the event id and schedules ONE callback per event loop with
``loop.call_soon_threadsafe``; that callback fans the event out to the loop's
subscribers. Each subscriber has a bounded queue: when it is full the oldest
event is dropped and the subscriber is told (a ``stream.lagged`` event with the
count) before its next event; a subscriber that falls ``disconnect_after``
events behind without catching up is closed. Nobody waits on a slow consumer.
A reconnect's replay (up to ``replay_size`` events) may be longer than the
queue: the subscription starts with room for that backlog on top of
``max_queue``, given back one event at a time as the consumer reads, so the
whole replay is delivered and live events still queue behind it with the usual
room, and a queue never holds more than ``max_queue + replay_size`` events.

Event ids are ``<boot>-<seq>``: ``boot`` changes with every broker, so a client
reconnecting with a ``Last-Event-ID`` from before a restart is recognised and
sent a fresh snapshot instead of a wrong replay. A bounded replay buffer per
topic serves reconnects within the same boot.

Topics fed from the state database's event log (``jobs``, ``runs``: see
state.db.event_feed) carry the database's decimal ids instead, the same on
every worker and host and across restarts: such a topic is ``prime``d with the
log's newest events, so a reconnect to any worker replays from the buffer,
and a subscriber skips every event at or before its ``Last-Event-ID`` (none
twice, even when the client saw an event this worker has yet to publish).
Such a lead is bounded: a feed lags the log by milliseconds, never by
``replay_size`` events, so an id more than ``replay_size`` past the newest id
this broker knows comes from another log (the database was emptied or restored
from an older backup) and is treated as unknown: the caller sends a snapshot
rather than a stream that stays silent until the log reaches that id. A false
alarm only costs that client a snapshot.

An id that is not plain ASCII decimal of at most ``MAX_ID_DIGITS`` digits is
unknown too (a snapshot, never an error).
"""

from __future__ import annotations

import asyncio
import json
import secrets
import threading
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

LAGGED = "stream.lagged"
# Database ids are 64-bit (19 digits at most); anything longer is not one of ours,
# and int() refuses strings of more than 4300 digits anyway.
MAX_ID_DIGITS = 20


class KeepAliveDue(TimeoutError):
    """A whole keep-alive interval passed without events: send a keep-alive."""


@dataclass(frozen=True, slots=True)
class Event:
    id: str
    seq: int
    topic: str
    name: str
    data: dict[str, Any]  # the wire payload, e.g. {"event": "job.created", "job": {...}}
    # Encoded once when published (in the publisher's thread), not once per subscriber.
    sse: bytes = b""  # the complete SSE frame
    text: str = ""  # the WebSocket message: the payload plus "id"


def encode(event_id: str, name: str, data: dict[str, Any]) -> tuple[bytes, str]:
    """(SSE frame, WebSocket text) for an event."""
    payload = json.dumps(data, separators=(",", ":"), default=str)
    frame = f"event: {name}\r\ndata: {payload}\r\n\r\n"
    if event_id:
        frame = f"id: {event_id}\r\n{frame}"
        text = json.dumps({"id": event_id, **data}, separators=(",", ":"), default=str)
    else:
        text = payload
    return frame.encode(), text


_TIMER_SLACK_SECONDS = 0.01


class Subscription:
    """One consumer's bounded queue. Filled on its event loop, drained with ``get``."""

    def __init__(
        self,
        topic: str,
        loop: asyncio.AbstractEventLoop,
        max_queue: int,
        disconnect_after: int,
        keepalive: float | None = None,
    ) -> None:
        self.topic = topic
        self.loop = loop
        self.max_queue = max_queue
        self.disconnect_after = disconnect_after
        self.queue: deque[Event] = deque()
        self.dropped = 0  # not yet reported to the consumer
        self.behind = 0  # dropped since the consumer last emptied its queue
        self.dropped_total = 0
        self.closed = False
        self.close_reason: str | None = None
        self.lagged_out = False  # closed by the broker for falling too far behind
        self.start_id = ""  # the broker's last event id when this subscription began
        self.after: int | None = None  # database-numbered topics: skip ids up to this one
        # Room on top of max_queue for the replay this subscription started with,
        # shrinking by one per event the consumer takes (see the module docstring).
        self.backlog = 0
        self.keepalive = keepalive
        self._wake = asyncio.Event()
        self._last_activity = loop.time()  # last event queued or keep-alive due
        self._idle = False  # a keep-alive is due
        self._timer = loop.call_later(keepalive, self._tick) if keepalive else None

    def offer(self, event: Event) -> None:
        """Queue an event (on the subscriber's loop). Trims, never blocks."""
        if self.closed or (self.after is not None and event.seq <= self.after):
            return
        if self.after is not None:
            self.after = event.seq  # none twice, whichever path brought it
        if len(self.queue) >= self.max_queue + self.backlog:
            self.queue.popleft()
            self.dropped += 1
            self.dropped_total += 1
            self.behind += 1
            if self.behind > self.disconnect_after:
                self.lagged_out = True
                self.close(f"disconnected: more than {self.disconnect_after} events behind")
                return
        self.queue.append(event)
        self._last_activity = self.loop.time()
        self._wake.set()

    def close(self, reason: str | None = None) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self.closed = True
        self.close_reason = self.close_reason or reason
        self._wake.set()

    def _lag_notice(self, disconnected: bool = False) -> Event:
        count, self.dropped = self.dropped, 0
        data: dict[str, Any] = {"event": LAGGED, "dropped": count, "disconnected": disconnected}
        if disconnected:
            data["reason"] = self.close_reason
        return Event("", 0, self.topic, LAGGED, data, *encode("", LAGGED, data))

    def _tick(self) -> None:
        """A keep-alive is due once a whole interval passed since the last event or keep-alive.

        The timer is re-armed for the end of the current quiet interval, so the
        gap a client sees never exceeds one interval (not two).
        """
        if self.closed or self.keepalive is None:
            return
        now = self.loop.time()
        quiet_for = now - self._last_activity
        # asyncio may run a timer up to its clock resolution early.
        if quiet_for >= self.keepalive - _TIMER_SLACK_SECONDS:
            self._idle = True
            self._wake.set()
            self._last_activity = now
            quiet_for = 0.0
        self._timer = self.loop.call_later(self.keepalive - quiet_for, self._tick)

    async def get(self) -> Event | None:
        """Next event (a ``stream.lagged`` notice first after drops); None once closed.

        With a ``keepalive`` interval, raises KeepAliveDue when a whole interval
        passed without events (SSE keep-alive comments). One re-armed timer per
        subscription, not one per wait, so idle and busy subscribers stay cheap.
        """
        while True:
            if self.closed:
                if self.dropped:
                    return self._lag_notice(disconnected=True)
                return None
            if self.dropped:
                return self._lag_notice()
            if self.queue:
                event = self.queue.popleft()
                if self.backlog:
                    self.backlog -= 1
                if not self.queue:
                    self.behind = 0  # caught up
                    self.backlog = 0  # the replay is read (or was dropped)
                return event
            if self._idle:
                self._idle = False
                raise KeepAliveDue
            self._wake.clear()
            await self._wake.wait()

    async def __aiter__(self) -> AsyncIterator[Event]:
        while (event := await self.get()) is not None:
            yield event


class Broker:
    def __init__(
        self, *, max_queue: int = 256, disconnect_after: int = 1024, replay_size: int = 512
    ) -> None:
        self.max_queue = max_queue
        self.disconnect_after = disconnect_after
        self.replay_size = replay_size
        self.boot = secrets.token_hex(4)
        self._lock = threading.Lock()
        self._seq = 0
        self._replay: dict[str, deque[Event]] = {}
        self._evicted: dict[str, int] = {}  # topic -> seq of the newest evicted event
        self._db_topics: set[str] = set()  # topics numbered by the database's event log
        self._db_seq = 0  # the newest database id published
        self._dropped_gone = 0  # dropped for subscribers that have since left
        # (topic, loop) -> subscribers; tuples replaced on change (copy-on-write).
        self._subs: dict[tuple[str, asyncio.AbstractEventLoop], tuple[Subscription, ...]] = {}

    @property
    def last_id(self) -> str:
        return f"{self.boot}-{self._seq}"

    def last_id_of(self, topic: str) -> str:
        return str(self._db_seq) if topic in self._db_topics else self.last_id

    def prime(self, topic: str, events: list[tuple[int, str, dict[str, Any]]], last: int) -> None:
        """Number ``topic`` by the database: its replay buffer holds ``events`` (id,
        name, payload; oldest first), ``last`` the newest id in the log."""
        with self._lock:
            self._db_topics.add(topic)
            self._db_seq = max(self._db_seq, last)
            buffer: deque[Event] = deque()
            for seq, name, data in events[-self.replay_size :]:
                frames = encode(str(seq), name, data)
                buffer.append(Event(str(seq), seq, topic, name, data, *frames))
            self._replay[topic] = buffer
            # Replayable from just before the oldest buffered event (or from now).
            self._evicted[topic] = buffer[0].seq - 1 if buffer else last

    def publish(
        self, topic: str, name: str, data: dict[str, Any], *, event_id: int | None = None
    ) -> Event:
        """Record and deliver an event; callable from any thread, never blocks on consumers.

        ``event_id``: the database's id of an event from the event log."""
        closed = []
        with self._lock:
            if event_id is None:
                self._seq += 1
                seq, text_id = self._seq, f"{self.boot}-{self._seq}"
            else:
                self._db_seq = max(self._db_seq, event_id)
                seq, text_id = event_id, str(event_id)
            event = Event(text_id, seq, topic, name, data, *encode(text_id, name, data))
            buffer = self._replay.setdefault(topic, deque())
            if len(buffer) >= self.replay_size:
                self._evicted[topic] = buffer.popleft().seq
            buffer.append(event)
            # Scheduled under the lock so every loop sees events in id order.
            for (t, loop), subs in self._subs.items():
                if t != topic:
                    continue
                try:
                    loop.call_soon_threadsafe(_fan_out, subs, event)
                except RuntimeError:  # that loop is closed: its subscribers are gone
                    closed.append((t, loop))
            for key in closed:
                del self._subs[key]
        return event

    def subscribe(
        self, topic: str, *, last_event_id: str | None = None, keepalive: float | None = None
    ) -> tuple[Subscription, bool]:
        """Subscribe on the running loop. Returns (subscription, replayed).

        With a ``last_event_id`` from this boot still covered by the replay
        buffer, the missed events are queued first and ``replayed`` is True;
        otherwise the caller should send a snapshot.
        """
        loop = asyncio.get_running_loop()
        sub = Subscription(topic, loop, self.max_queue, self.disconnect_after, keepalive)
        with self._lock:
            replayed = False
            after = self._parse(topic, last_event_id)
            if after is not None and after >= self._evicted.get(topic, 0):
                if topic in self._db_topics:
                    sub.after = after  # offer then skips up to it, and advances it
                missed = [e for e in self._replay.get(topic, ()) if e.seq > after]
                sub.backlog = len(missed)  # the whole replay fits, whatever max_queue is
                for event in missed:
                    sub.offer(event)
                replayed = True
            sub.start_id = self.last_id_of(topic)
            key = (topic, loop)
            self._subs[key] = (*self._subs.get(key, ()), sub)
        return sub, replayed

    def _parse(self, topic: str, last_event_id: str | None) -> int | None:
        """The seq to replay after, or None for an id to answer with a snapshot."""
        if not last_event_id:
            return None
        if topic in self._db_topics:
            # Any worker's id: one a little ahead of this worker's feed replays
            # nothing now, and the subscriber skips those events when they arrive.
            # Far ahead, it is from another log (see the module docstring).
            seq = _decimal(last_event_id.strip())
            if seq is None or seq > self._db_seq + self.replay_size:
                return None
            return seq
        boot, _, text = last_event_id.strip().partition("-")
        seq = _decimal(text)
        if boot != self.boot or seq is None or seq > self._seq:
            return None  # another boot's, or never issued
        return seq

    def unsubscribe(self, sub: Subscription) -> None:
        sub.close()
        with self._lock:
            key = (sub.topic, sub.loop)
            current = self._subs.get(key, ())
            if sub in current:  # still counted once it has left (and only once)
                self._dropped_gone += sub.dropped_total
            remaining = tuple(s for s in current if s is not sub)
            if remaining:
                self._subs[key] = remaining
            else:
                self._subs.pop(key, None)

    def subscriber_count(self, topic: str | None = None) -> int:
        with self._lock:
            return sum(len(s) for (t, _), s in self._subs.items() if topic in (None, t))

    def stats(self, topic: str | None = None) -> dict[str, Any]:
        """Subscribers, the newest event id (``topic``'s: the database's id for a
        topic fed from the event log, comparable across workers and hosts) and
        the events dropped for slow subscribers since this process started."""
        with self._lock:
            subs = [s for group in self._subs.values() for s in group]
            return {
                "subscribers": len(subs),
                "last_event_id": self.last_id if topic is None else self.last_id_of(topic),
                "dropped": self._dropped_gone + sum(s.dropped_total for s in subs),
            }


def _decimal(text: str) -> int | None:
    """A plain ASCII decimal of at most MAX_ID_DIGITS digits, else None.

    str.isdigit alone also accepts digits int() refuses, such as superscripts."""
    if text.isascii() and text.isdigit() and len(text) <= MAX_ID_DIGITS:
        return int(text)
    return None


def _fan_out(subs: tuple[Subscription, ...], event: Event) -> None:
    for sub in subs:
        sub.offer(event)
