"""Reconnects with Last-Event-ID: the whole replay window, and ids this broker never issued.

Three ways a topic gets its ids: per-process ``<boot>-<seq>`` ("boot"), the
database's event log loaded by ``prime`` ("db-primed"), and the database's ids
published one by one by the feed ("db-published", with gaps: the log's other
topic takes the odd ids).
"""

from __future__ import annotations

import asyncio

import pytest

from onepiece.events import LAGGED, Broker, Event, Subscription

TOPIC = "jobs"
KINDS = ["boot", "db-primed", "db-published"]


def _fill(broker: Broker, kind: str, count: int) -> list[str]:
    """``count`` events on TOPIC, numbered as ``kind`` numbers them; their ids, oldest first."""
    if kind == "boot":
        return [broker.publish(TOPIC, "job.updated", {"n": n}).id for n in range(count)]
    if kind == "db-primed":
        ids = list(range(1001, 1001 + count))
        broker.prime(TOPIC, [(i, "job.updated", {"n": n}) for n, i in enumerate(ids)], ids[-1])
        return [str(i) for i in ids]
    broker.prime(TOPIC, [], 0)  # an empty log: the feed publishes everything
    ids = [2 * n + 2 for n in range(count)]
    for n, i in enumerate(ids):
        broker.publish(TOPIC, "job.updated", {"n": n}, event_id=i)
    return [str(i) for i in ids]


def _live(broker: Broker, kind: str, count: int) -> list[str]:
    """``count`` new events after the newest one the broker knows; their ids."""
    if kind == "boot":
        return [broker.publish(TOPIC, "job.live", {}).id for _ in range(count)]
    newest = int(broker.last_id_of(TOPIC))
    ids = range(newest + 1, newest + 1 + count)
    return [broker.publish(TOPIC, "job.live", {}, event_id=i).id for i in ids]


def _ahead(broker: Broker, kind: str, lead: int) -> str:
    """An id ``lead`` past the newest one the broker knows."""
    newest = broker.last_id_of(TOPIC)
    if kind == "boot":
        boot, _, seq = newest.partition("-")
        return f"{boot}-{int(seq) + lead}"
    return str(int(newest) + lead)


async def _take(sub: Subscription, count: int) -> list[Event]:
    events = []
    for _ in range(count):
        event = await asyncio.wait_for(sub.get(), timeout=5)
        assert event is not None
        events.append(event)
    return events


async def _assert_nothing_else_queued(broker: Broker, kind: str, sub: Subscription) -> None:
    """The next event the consumer gets is one published now."""
    (sentinel,) = _live(broker, kind, 1)
    await asyncio.sleep(0)  # let the loop fan it out
    assert [e.id for e in await _take(sub, 1)] == [sentinel]


# (replay_size, max_queue, events back): every distance is inside the buffer;
# 512 back is the oldest event the default buffer still holds.
WINDOW = [
    (512, 256, 257),
    (512, 256, 300),
    (512, 256, 511),
    (512, 256, 512),
    (64, 16, 17),
    (64, 16, 64),
    (1000, 256, 999),
    (100, 256, 100),  # a buffer smaller than the queue: always fitted
]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("replay_size", "max_queue", "back"), WINDOW)
def test_a_reconnect_anywhere_in_the_buffer_replays_every_missed_event(
    kind: str, replay_size: int, max_queue: int, back: int
) -> None:
    async def scenario() -> None:
        broker = Broker(max_queue=max_queue, replay_size=replay_size)
        ids = _fill(broker, kind, replay_size + 100)  # the buffer is full and has evicted
        sub, replayed = broker.subscribe(TOPIC, last_event_id=ids[-1 - back])
        assert replayed
        events = await _take(sub, back)
        assert LAGGED not in [e.name for e in events]
        assert [e.id for e in events] == ids[-back:]
        await _assert_nothing_else_queued(broker, kind, sub)

    asyncio.run(scenario())


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("replay_size", "max_queue", "back"), [(512, 256, 512), (64, 16, 40)])
def test_live_events_queue_behind_the_replay_with_the_usual_room(
    kind: str, replay_size: int, max_queue: int, back: int
) -> None:
    async def scenario() -> None:
        broker = Broker(max_queue=max_queue, replay_size=replay_size)
        ids = _fill(broker, kind, replay_size + 10)
        sub, replayed = broker.subscribe(TOPIC, last_event_id=ids[-1 - back])
        assert replayed
        live = _live(broker, kind, max_queue)  # a full queue's worth, before any read
        await asyncio.sleep(0)
        events = await _take(sub, back + max_queue)
        assert [e.id for e in events] == ids[-back:] + live  # in order, nothing dropped
        await _assert_nothing_else_queued(broker, kind, sub)

    asyncio.run(scenario())


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("replay_size", "max_queue", "back"), [(512, 256, 512), (64, 16, 40)])
def test_a_stalled_reconnect_keeps_a_bounded_queue_and_gets_its_room_back(
    kind: str, replay_size: int, max_queue: int, back: int
) -> None:
    async def scenario() -> None:
        broker = Broker(max_queue=max_queue, replay_size=replay_size)
        ids = _fill(broker, kind, replay_size + 10)
        sub, _ = broker.subscribe(TOPIC, last_event_id=ids[-1 - back])
        # Ten more live events than the queue's own room: the ten oldest go.
        live = _live(broker, kind, max_queue + 10)
        await asyncio.sleep(0)
        assert len(sub.queue) == back + max_queue
        notice, *events = await _take(sub, 1 + back + max_queue)
        assert notice.name == LAGGED and notice.data["dropped"] == 10
        assert [e.id for e in events] == (ids[-back:] + live)[10:]
        # Caught up: the room made for the backlog is gone, the queue holds max_queue.
        more = _live(broker, kind, max_queue + 1)
        await asyncio.sleep(0)
        notice, *events = await _take(sub, 1 + max_queue)
        assert notice.name == LAGGED and notice.data["dropped"] == 1
        assert [e.id for e in events] == more[1:]

    asyncio.run(scenario())


@pytest.mark.parametrize("kind", KINDS)
def test_an_id_just_older_than_the_buffer_still_gets_a_snapshot(kind: str) -> None:
    async def scenario() -> None:
        broker = Broker(replay_size=512)
        ids = _fill(broker, kind, 700)
        _, replayed = broker.subscribe(TOPIC, last_event_id=ids[-1 - 513])
        assert not replayed  # the event after it was evicted

    asyncio.run(scenario())


# (replay_size, lead): how far past the newest id this broker knows the client's id is.
LEADS = [(64, 1), (64, 64), (64, 65), (512, 1), (512, 512), (512, 513), (512, 10**6)]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("replay_size", "lead"), LEADS)
def test_an_id_ahead_is_a_lagging_feed_when_close_and_unknown_when_far(
    kind: str, replay_size: int, lead: int
) -> None:
    async def scenario() -> None:
        broker = Broker(replay_size=replay_size)
        _fill(broker, kind, 600)
        sub, replayed = broker.subscribe(TOPIC, last_event_id=_ahead(broker, kind, lead))
        # Per-process ids ahead were never issued; database ids within replay_size
        # are another worker's events this worker's feed has yet to publish.
        close = kind != "boot" and lead <= replay_size
        assert replayed is close
        if close:
            live = _live(broker, kind, lead + 2)
            expected = live[-2:]  # the client already has the first `lead`: none twice
        else:
            expected = live = _live(broker, kind, 3)  # after its snapshot, every event
        await asyncio.sleep(0)
        assert [e.id for e in await _take(sub, len(expected))] == expected
        await _assert_nothing_else_queued(broker, kind, sub)

    asyncio.run(scenario())


def test_a_browser_back_from_a_restored_database_gets_a_snapshot_and_every_event() -> None:
    async def scenario() -> None:
        broker = Broker()
        broker.prime(TOPIC, [(i, "job.updated", {}) for i in range(1, 601)], 600)
        sub, replayed = broker.subscribe(TOPIC, last_event_id="99999")
        assert not replayed
        broker.publish(TOPIC, "job.created", {}, event_id=601)
        await asyncio.sleep(0)
        assert [e.id for e in await _take(sub, 1)] == ["601"]

    asyncio.run(scenario())


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("tail", ["9" * 5000, "\N{SUPERSCRIPT TWO}", "12abc", "-3", ""])
def test_a_malformed_or_oversized_id_gets_a_snapshot_not_an_error(kind: str, tail: str) -> None:
    async def scenario() -> None:
        broker = Broker()
        _fill(broker, kind, 10)
        last_event_id = f"{broker.boot}-{tail}" if kind == "boot" else tail
        sub, replayed = broker.subscribe(TOPIC, last_event_id=last_event_id)
        assert not replayed
        await _assert_nothing_else_queued(broker, kind, sub)

    asyncio.run(scenario())


def test_stats_give_the_database_id_and_keep_drops_of_subscribers_that_left() -> None:
    async def scenario() -> dict[str, object]:
        broker = Broker(max_queue=4, replay_size=16)
        broker.prime("jobs", [], 600)
        slow, _ = broker.subscribe("jobs")
        for seq in range(601, 611):  # ten events into a queue of four: six dropped
            broker.publish("jobs", "job.updated", {"n": seq}, event_id=seq)
        await asyncio.sleep(0)  # the fan-out runs on this loop
        broker.unsubscribe(slow)
        broker.unsubscribe(slow)  # twice: counted once
        return broker.stats("jobs")

    stats = asyncio.run(scenario())
    assert stats == {"subscribers": 0, "last_event_id": "610", "dropped": 6}
