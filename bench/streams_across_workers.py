"""SSE events across workers: a job submitted on worker A, its event on B's subscribers.

Two real ``onepiece serve`` processes (A and B, one uvicorn worker each, on
their own ports so the client can address each one) share one PostgreSQL
state database, created and dropped here. Each event is a ``POST /jobs`` on A
(mock farm); its ``job.created`` reaches A's subscribers through A's event
feed and B's through the database (the event row, B woken by NOTIFY). Delay
= from just before the POST to the LAST subscriber receiving the event
(subscribers are raw asyncio sockets in this process, on the same busy
2-core machine, so client scheduling is included). Rows: every subscriber
on A (the same fan-out on one worker), and the subscribers spread half and
half over A and B, with B's alone beside them. Goal (issue 15): p99 <= 250
ms with 500 subscribers spread over 2 workers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.report import update_section
from bench.serve_submits import TOKEN, _postgresql, _request, _start

BATCH = 100  # subscribers connecting at once, like clients arriving


async def _subscriber(url: str, ready: asyncio.Event, arrivals: list[float]) -> None:
    """Records when each ``job.created`` arrives, in order (the n-th is the n-th submit)."""
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(
        f"GET /jobs/stream HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {TOKEN}\r\n"
        "Accept: text/event-stream\r\n\r\n".encode()
    )
    await writer.drain()
    try:
        while line := await reader.readline():
            if line.startswith(b"data:"):
                ready.set()  # the snapshot: subscribed
            elif line.startswith(b"event: job.created"):
                arrivals.append(time.time())
    finally:
        writer.close()


async def _measure(publisher: str, places: list[str], events: int, spacing: float) -> list[Any]:
    """For each subscriber place (a URL each), arrivals per event; and the send times."""
    arrivals: list[list[float]] = [[] for _ in places]
    ready = [asyncio.Event() for _ in places]
    tasks = []
    for start in range(0, len(places), BATCH):
        for n in range(start, min(start + BATCH, len(places))):
            tasks.append(asyncio.create_task(_subscriber(places[n], ready[n], arrivals[n])))
        await asyncio.gather(*(e.wait() for e in ready[start : start + BATCH]))
    await asyncio.sleep(1.0)
    host, port = publisher.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    sent: list[float] = []
    try:
        for n in range(events):
            job = {"dcc": "builtin", "scene": f"/shots/sh{n}.json", "frames": "1-10",
                   "output": f"/r/sh{n}.####.png", "farm": "mock"}  # fmt: skip
            body = json.dumps(job).encode()
            head = (
                f"POST /jobs HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {TOKEN}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
            ).encode()
            sent.append(time.time())
            if await _request(reader, writer, head, body) != 201:
                raise RuntimeError(f"submit {n} refused")
            await asyncio.sleep(spacing)
        await asyncio.sleep(3.0)
    finally:
        writer.close()
        for task in tasks:
            task.cancel()
    return [sent, arrivals]


def _worst(sent: list[float], arrivals: list[list[float]]) -> tuple[list[float], int]:
    """Per event seen by every subscriber: ms to the last one; and how many were."""
    worst = []
    for n, at in enumerate(sent):
        if all(len(a) > n for a in arrivals):
            worst.append((max(a[n] for a in arrivals) - at) * 1000)
    return worst, len(worst)


def _summary(label: str, worst: list[float], complete: int, events: int) -> dict[str, Any]:
    p99 = statistics.quantiles(worst, n=100)[98] if len(worst) > 1 else float("nan")
    p50 = statistics.median(worst) if worst else float("nan")
    print(f"{label}: p50 {p50:.0f} ms, p99 {p99:.0f} ms, {complete}/{events} seen", flush=True)
    return {"label": label, "p50": p50, "p99": p99, "complete": complete}


def _run(subscribers: int, events: int, spacing: float) -> list[dict[str, Any]]:
    pg_url, drop = _postgresql()
    servers = []
    try:
        with tempfile.TemporaryDirectory(prefix="bench-xworkers-") as tmp:
            urls = []
            for name in ("a", "b"):
                home = Path(tmp) / name
                home.mkdir()
                env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path),
                       "XDG_DATA_HOME": str(home), "XDG_CONFIG_HOME": str(home),
                       "TRAFALGAR_DASHBOARD_TOKEN": TOKEN,
                       "ONEPIECE_RENDER_MOCK_ENABLED": "true",
                       "ONEPIECE_RENDER_POLL_SECONDS": "300",
                       "ONEPIECE_DATABASE_URL": pg_url}  # fmt: skip
                env.pop("TRAFALGAR_READ_TOKEN", None)
                process, url = _start([], env, home / "serve.log")
                servers.append(process)
                urls.append(url)
            a, b = urls
            rows = []
            sent, arrivals = asyncio.run(_measure(a, [a] * subscribers, events, spacing))
            rows.append(_summary(f"one worker: {subscribers} on A", *_worst(sent, arrivals),
                                 events))  # fmt: skip
            half = subscribers // 2
            places = [a] * (subscribers - half) + [b] * half
            sent, arrivals = asyncio.run(_measure(a, places, events, spacing))
            spread = f"2 workers: {subscribers - half} on A + {half} on B"
            rows.append(_summary(spread, *_worst(sent, arrivals), events))
            on_b = _worst(sent, arrivals[subscribers - half :])
            rows.append(_summary(f"  of which B's {half} alone", *on_b, events))
            return rows
    finally:
        for process in servers:
            process.send_signal(signal.SIGINT)
            process.wait(60)
        drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subscribers", type=int, default=500)
    parser.add_argument("--events", type=int, default=100)
    parser.add_argument("--spacing", type=float, default=0.2, help="seconds between events")
    parser.add_argument("--no-write", action="store_true", help="print, leave docs alone")
    args = parser.parse_args()
    load = "Load average at the start: {:.1f} / {:.1f} / {:.1f}.".format(*os.getloadavg())
    rows = _run(args.subscribers, args.events, args.spacing)
    one, spread = rows[0], rows[1]
    met = spread["p99"] <= 250
    table = (
        "## Live streams across workers (`bench/streams_across_workers.py`)\n\n"
        f"{args.events} `POST /jobs` on worker A, {args.spacing * 1000:.0f} ms apart; "
        f"{args.subscribers} `GET /jobs/stream` subscribers on A alone, then spread over A "
        "and B (two `onepiece serve` processes, one PostgreSQL state database). Delay = "
        "from just before the POST to the LAST subscriber receiving its `job.created`; "
        "client and servers share this busy 2-core machine.\n\n"
        "| subscribers | p50 ms | p99 ms | events seen by all |\n"
        "|---|---|---|---|\n"
        + "".join(
            f"| {r['label'].strip()} | {r['p50']:.0f} | {r['p99']:.0f} "
            f"| {r['complete']}/{args.events} |\n"
            for r in rows
        )
        + f"\n{load}\n\n"
        f"p99 ratio spread over 2 workers / one worker: **{spread['p99'] / one['p99']:.2f}x**. "
        f"Goal p99 <= 250 ms across workers: {'met' if met else 'NOT met'}."
    )
    print(table)
    if not args.no_write:
        update_section("streams_across_workers", table)


if __name__ == "__main__":
    main()
