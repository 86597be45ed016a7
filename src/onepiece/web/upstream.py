"""Request threads for work that waits on an upstream (a farm, the tracker), bounded per kind.

A plain ``def`` route runs in FastAPI's shared pool of request threads (40).
A farm or a tracker that stops answering holds each call for its timeout, so a
burst of such calls used to take every thread, and reads of our own state
(jobs, runs, health) waited behind them. Routes that wait on an upstream are
``async`` instead and run that work here: at most ``UPSTREAM_THREADS`` threads
per kind of upstream and event loop, 24 of the 40 together; the other calls
wait their turn without a thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Literal, TypeVar

import anyio
import anyio.to_thread
from starlette.requests import HTTPConnection

T = TypeVar("T")
Upstream = Literal["farm", "tracker"]
# Farms: eight keeps submits parallel (hundreds of ms each on OpenCue) and as many
# writes per group commit as 16 connections give. Tracker: a wall of dashboards
# asking at once shares one fetch per project (single flight), so more may wait
# on it (docs/decisions.md).
UPSTREAM_THREADS: dict[Upstream, int] = {"farm": 8, "tracker": 16}


async def upstream_call(conn: HTTPConnection, upstream: Upstream, work: Callable[[], T]) -> T:
    """``work()`` in a request thread, at most ``UPSTREAM_THREADS[upstream]`` at once."""
    # One set per event loop (an app may be served again on a new loop, as in
    # tests), made on that loop with no await between the check and the set.
    loop = asyncio.get_running_loop()
    held = getattr(conn.app.state, "upstream_limiters", None)
    if held is None or held[0] is not loop:
        held = conn.app.state.upstream_limiters = (loop, {})
    limiters: dict[Upstream, anyio.CapacityLimiter] = held[1]
    limiter = limiters.get(upstream)
    if limiter is None:
        limiter = limiters[upstream] = anyio.CapacityLimiter(UPSTREAM_THREADS[upstream])
    return await anyio.to_thread.run_sync(work, limiter=limiter)
