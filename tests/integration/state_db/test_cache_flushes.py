"""Dashboard cache flushes between workers (state.db.flushes) on a real state
database: each worker reads the flush counter at most once a second, not on
every cache lookup, and a flush through another worker still reaches it within
a second."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from onepiece.services.dashboard.cache import DashboardCache
from onepiece.state.db.flushes import COUNTER, SharedCacheFlushes


@pytest.fixture
def counter_reads(engine: Engine) -> Iterator[list[str]]:
    """The SELECTs of the flush counter run on ``engine``, as they happen."""
    reads: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and COUNTER in str(parameters):
            reads.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    yield reads
    event.remove(engine, "before_cursor_execute", seen)


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_fifty_lookups_within_a_second_read_the_flush_counter_once(
    engine: Engine, counter_reads: list[str]
) -> None:
    cache = DashboardCache(flushed_elsewhere=SharedCacheFlushes(engine).missed)
    started = time.monotonic()
    for _ in range(25):  # as /metrics does: get_fresh on the event loop, then a load
        cache.get_fresh("metrics", "summary")
        cache.get_or_load("metrics", "summary", lambda: {"jobs": 1})
    elapsed = time.monotonic() - started
    assert counter_reads, "the counter is read at the first lookup"
    assert len(counter_reads) <= 1 + int(elapsed), (len(counter_reads), elapsed)


def test_another_workers_flush_reaches_this_one_within_a_second(engine: Engine) -> None:
    clock = Clock()
    here_flushes = SharedCacheFlushes(engine, clock=clock)
    there_flushes = SharedCacheFlushes(engine, clock=clock)
    here = DashboardCache(flushed_elsewhere=here_flushes.missed)
    there = DashboardCache(flushed_elsewhere=there_flushes.missed)
    loads: list[str] = []

    def load(worker: str) -> str:
        loads.append(worker)
        return f"{worker} #{len(loads)}"

    assert here.get_or_load("metrics", "summary", lambda: load("here")).value == "here #1"
    assert there.get_or_load("metrics", "summary", lambda: load("there")).value == "there #2"

    clock.now += 0.5
    there.flush()  # what POST /admin/cache does on the worker it reached
    there_flushes.flushed()
    assert there.peek("metrics", "summary") is None  # that worker: at once

    clock.now += 0.25  # here read the counter 0.75 s ago: it does not look yet
    assert here.get_or_load("metrics", "summary", lambda: load("here")).cached
    clock.now += 0.25  # a second since its last read: it reads, sees the flush, reloads
    reloaded = here.get_or_load("metrics", "summary", lambda: load("here"))
    assert (reloaded.cached, reloaded.value) == (False, "here #3")

    there.get_or_load("metrics", "summary", lambda: load("there"))
    clock.now += 1.0  # the worker that flushed does not flush again for its own flush
    assert there.get_or_load("metrics", "summary", lambda: load("there")).cached
    assert here.get_or_load("metrics", "summary", lambda: load("here")).cached
    assert loads == ["here", "there", "here", "there"]
