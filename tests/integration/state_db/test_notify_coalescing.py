"""A burst of changes sends one ``NOTIFY`` per topic and coalescing window, and
the last change of the burst is always announced (a real LISTEN on PostgreSQL)."""

from __future__ import annotations

import threading

import psycopg

from onepiece.state.db.engine import create_state_engine
from onepiece.state.db.notify import CHANNEL, PgNotifier, conninfo


def test_a_burst_of_changes_is_one_or_two_notifications_never_none(pg_url: str) -> None:
    engine = create_state_engine(pg_url)
    notifier = PgNotifier(engine, coalesce=0.5)
    with psycopg.connect(conninfo(engine), autocommit=True) as listener:
        listener.execute(f"LISTEN {CHANNEL}")
        done = threading.Event()
        for _ in range(200):  # well inside one window, however busy the machine
            notifier.notify("jobs")
        notifier.notify("cache")
        received: list[str] = []
        for note in listener.notifies(timeout=5):
            received.append(note.payload)
            if received.count("jobs") == 2 and "cache" in received:
                done.set()
                break
    engine.dispose()
    assert done.is_set(), received
    # The first change at once, the 199 after it folded into one trailing NOTIFY.
    assert sorted(received) == ["cache", "jobs", "jobs"]


def test_a_single_change_is_sent_at_once(pg_url: str) -> None:
    engine = create_state_engine(pg_url)
    with psycopg.connect(conninfo(engine), autocommit=True) as listener:
        listener.execute(f"LISTEN {CHANNEL}")
        PgNotifier(engine, coalesce=3600).notify("jobs")  # no trailing send within the test
        payloads = [note.payload for note in listener.notifies(timeout=5, stop_after=1)]
    engine.dispose()
    assert payloads == ["jobs"]
