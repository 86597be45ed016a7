"""The in-process broker: bounded queues, lag notices, disconnects, replay."""

from __future__ import annotations

import asyncio
import threading

from onepiece.events import LAGGED, Broker


async def _drain(sub: object, count: int) -> list[object]:
    return [await sub.get() for _ in range(count)]  # type: ignore[attr-defined]


def test_every_subscriber_receives_events_in_order() -> None:
    async def scenario() -> None:
        broker = Broker()
        a, _ = broker.subscribe("jobs")
        b, _ = broker.subscribe("jobs")
        other, _ = broker.subscribe("runs")
        for i in range(5):
            broker.publish("jobs", "job.updated", {"n": i})
        for sub in (a, b):
            events = await _drain(sub, 5)
            assert [e.data["n"] for e in events] == [0, 1, 2, 3, 4]
        assert not other.queue  # another topic sees nothing

    asyncio.run(scenario())


def test_a_slow_subscriber_is_trimmed_with_a_lag_notice_and_the_others_get_everything() -> None:
    async def scenario() -> None:
        broker = Broker(max_queue=4, disconnect_after=100)
        slow, _ = broker.subscribe("jobs")
        fast, _ = broker.subscribe("jobs")
        received = []
        for i in range(10):
            broker.publish("jobs", "job.updated", {"n": i})
            await asyncio.sleep(0)  # let the loop fan out
            received.append((await fast.get()).data["n"])
        assert received == list(range(10))
        notice = await slow.get()
        assert notice.name == LAGGED and notice.data == {
            "event": LAGGED, "dropped": 6, "disconnected": False,
        }  # fmt: skip
        rest = await _drain(slow, 4)
        assert [e.data["n"] for e in rest] == [6, 7, 8, 9]  # the newest were kept

    asyncio.run(scenario())


def test_a_subscriber_too_far_behind_is_disconnected_without_affecting_others() -> None:
    async def scenario() -> None:
        broker = Broker(max_queue=2, disconnect_after=5)
        slow, _ = broker.subscribe("jobs")
        fast, _ = broker.subscribe("jobs")
        for i in range(20):
            broker.publish("jobs", "job.updated", {"n": i})
            await asyncio.sleep(0)
            assert (await fast.get()).data["n"] == i
        assert slow.closed and slow.lagged_out
        last = await slow.get()
        assert last.name == LAGGED and last.data["disconnected"] is True
        assert await slow.get() is None
        assert not fast.closed

    asyncio.run(scenario())


def test_last_event_id_replays_only_the_missed_events() -> None:
    async def scenario() -> None:
        broker = Broker(replay_size=10)
        first = broker.publish("jobs", "job.created", {"n": 1})
        broker.publish("runs", "run.created", {"n": "r"})
        broker.publish("jobs", "job.updated", {"n": 2})
        broker.publish("jobs", "job.updated", {"n": 3})
        sub, replayed = broker.subscribe("jobs", last_event_id=first.id)
        assert replayed
        assert [e.data["n"] for e in await _drain(sub, 2)] == [2, 3]
        broker.publish("jobs", "job.updated", {"n": 4})
        assert (await sub.get()).data["n"] == 4

    asyncio.run(scenario())


def test_ids_from_another_boot_or_evicted_from_the_buffer_ask_for_a_snapshot() -> None:
    async def scenario() -> None:
        broker = Broker(replay_size=2)
        first = broker.publish("jobs", "job.created", {"n": 1})
        for n in range(2, 6):
            broker.publish("jobs", "job.updated", {"n": n})
        _, replayed = broker.subscribe("jobs", last_event_id=first.id)
        assert not replayed  # events 2 and 3 are gone from the buffer
        _, replayed = broker.subscribe("jobs", last_event_id="deadbeef-3")
        assert not replayed
        _, replayed = broker.subscribe("jobs", last_event_id=f"{broker.boot}-999")
        assert not replayed
        _, replayed = broker.subscribe("jobs", last_event_id=broker.last_id)
        assert replayed

    asyncio.run(scenario())


def test_events_published_from_another_thread_reach_async_subscribers() -> None:
    async def scenario() -> None:
        broker = Broker()
        sub, _ = broker.subscribe("jobs")
        threads = [
            threading.Thread(target=broker.publish, args=("jobs", "job.updated", {"n": i}))
            for i in range(50)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        events = await asyncio.wait_for(_drain(sub, 50), timeout=10)
        assert sorted(e.data["n"] for e in events) == list(range(50))
        assert [e.seq for e in events] == sorted(e.seq for e in events)  # id order kept

    asyncio.run(scenario())


def test_unsubscribed_consumers_stop_receiving() -> None:
    async def scenario() -> None:
        broker = Broker()
        sub, _ = broker.subscribe("jobs")
        broker.unsubscribe(sub)
        broker.publish("jobs", "job.updated", {})
        await asyncio.sleep(0)
        assert await sub.get() is None
        assert broker.subscriber_count() == 0

    asyncio.run(scenario())


def test_get_with_a_timeout_raises_when_idle_and_still_returns_events() -> None:
    async def scenario() -> None:
        broker = Broker()
        sub, _ = broker.subscribe("jobs")
        try:
            await sub.get(timeout=0.01)
        except TimeoutError:
            pass
        else:
            raise AssertionError("an idle get(timeout) must time out")
        broker.publish("jobs", "job.updated", {"n": 1})
        event = await sub.get(timeout=30)
        assert event is not None and event.data == {"n": 1}

    asyncio.run(scenario())
