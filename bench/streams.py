"""SSE fan-out: N subscribers on one server, delay event -> every subscriber, memory each.

OnePiece: ``GET /jobs/stream`` on the real Trafalgar app (auth dependency,
snapshot, broker with bounded queues, sse-starlette), events published from a
worker thread into the broker as the render poller does. Peer: a bare
sse-starlette endpoint in a bare FastAPI app with one unbounded asyncio.Queue
per subscriber, published on the event loop. Each runs in its own server
process (uvicorn, one worker); the subscribers are raw asyncio sockets in this
process. Goal: p99 delay from publish to the LAST subscriber <= 250 ms with
1,000 subscribers; <= 50 KiB of server memory per idle subscriber.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.report import update_section

TOKEN = "bench-streams-admin-token"


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


# -- servers (run as: python -m bench.streams --serve ours|peer DATA_DIR) ----
def _ours(data_dir: Path) -> Any:
    from starlette.concurrency import run_in_threadpool

    from onepiece.config import Settings
    from onepiece.web.app import create_app

    settings = Settings(
        data_dir=data_dir,
        trafalgar={"dashboard_token": TOKEN},
        render={"poll_seconds": 300},
    )
    app = create_app(settings)
    broker = app.state.container.broker

    @app.post("/bench/publish")
    async def publish() -> dict[str, bool]:
        def send() -> None:  # from a worker thread, like the render poller
            job = {"id": "bench", "t": time.time()}
            broker.publish("jobs", "job.updated", {"event": "job.updated", "job": job})

        await run_in_threadpool(send)
        return {"ok": True}

    return app


def _peer() -> Any:
    from fastapi import FastAPI
    from sse_starlette import EventSourceResponse

    app = FastAPI()
    queues: set[asyncio.Queue[str]] = set()

    @app.get("/stream")
    async def stream() -> EventSourceResponse:
        queue: asyncio.Queue[str] = asyncio.Queue()
        queues.add(queue)

        async def events() -> Any:
            try:
                yield {"event": "hello", "data": "{}"}
                while True:
                    yield {"event": "tick", "data": await queue.get()}
            finally:
                queues.discard(queue)

        return EventSourceResponse(events())

    @app.post("/publish")
    async def publish() -> dict[str, bool]:
        data = json.dumps({"t": time.time()})
        for queue in queues:
            queue.put_nowait(data)
        return {"ok": True}

    return app


def serve(kind: str, data_dir: Path) -> None:
    import uvicorn

    from onepiece.web.server import bind, url_for

    app = _ours(data_dir) if kind == "ours" else _peer()
    sock = bind("127.0.0.1", 0)
    print(url_for(sock), flush=True)
    uvicorn.Server(uvicorn.Config(app, log_level="error", backlog=4096)).run(sockets=[sock])


# -- subscribers -------------------------------------------------------------
async def _subscriber(
    host: str, port: int, path: str, ready: asyncio.Event, delays: dict[float, list[float]]
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(
        f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept: text/event-stream\r\n\r\n".encode()
    )
    await writer.drain()
    try:
        while line := await reader.readline():
            if not line.startswith(b"data:"):
                continue
            payload = json.loads(line[5:])
            sent = payload.get("job", payload).get("t") if isinstance(payload, dict) else None
            if sent is None:
                ready.set()  # the snapshot (ours) or hello (peer): subscribed
                continue
            delays.setdefault(sent, []).append(time.time() - sent)
    finally:
        writer.close()


async def _measure(url: str, path: str, publish: str, pid: int, subs: int, events: int,
                   spacing: float) -> dict[str, float]:  # fmt: skip
    host, port = url.removeprefix("http://").split(":")
    delays: dict[float, list[float]] = {}
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {TOKEN}"}) as c:
        warm = [asyncio.Event() for _ in range(10)]
        tasks = [asyncio.create_task(_subscriber(host, int(port), path, e, {})) for e in warm]
        await asyncio.gather(*(e.wait() for e in warm))
        for task in tasks:
            task.cancel()
        await asyncio.sleep(1.0)
        before = _rss_kib(pid)
        ready = [asyncio.Event() for _ in range(subs)]
        tasks = []
        for start in range(0, subs, 100):  # connect in batches, like clients arriving
            for event in ready[start : start + 100]:
                tasks.append(asyncio.create_task(_subscriber(host, int(port), path, event, delays)))
            await asyncio.gather(*(e.wait() for e in ready[start : start + 100]))
        await asyncio.sleep(1.0)
        per_sub = (_rss_kib(pid) - before) / subs
        for _ in range(events):
            await c.post(publish)
            await asyncio.sleep(spacing)
        await asyncio.sleep(2.0)
        for task in tasks:
            task.cancel()
    worst = [max(v) * 1000 for v in delays.values() if len(v) == subs]
    complete = len(worst)
    return {
        "p99": statistics.quantiles(worst, n=100)[98] if complete > 1 else float("nan"),
        "p50": statistics.median(worst) if worst else float("nan"),
        "kib": per_sub,
        "complete": complete,
    }


def _run(kind: str, subs: int, events: int, spacing: float) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="bench-streams-") as tmp:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
        server = subprocess.Popen(
            [sys.executable, "-m", "bench.streams", "--serve", kind, tmp],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        try:
            assert server.stdout is not None
            url = server.stdout.readline().strip()
            time.sleep(1.0)  # app start-up (lifespan)
            path, publish = ("/jobs/stream", "/bench/publish") if kind == "ours" else (
                "/stream", "/publish")  # fmt: skip
            return asyncio.run(_measure(url, path, publish, server.pid, subs, events, spacing))
        finally:
            server.terminate()
            server.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--serve", nargs=2, metavar=("KIND", "DATA_DIR"), help=argparse.SUPPRESS)
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--events", type=int, default=50)
    parser.add_argument("--spacing", type=float, default=0.2, help="seconds between events")
    parser.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    args = parser.parse_args()
    if args.serve:
        serve(args.serve[0], Path(args.serve[1]))
        return
    ours = _run("ours", args.subscribers, args.events, args.spacing)
    peer = _run("peer", args.subscribers, args.events, args.spacing)
    met = ours["p99"] <= 250 and ours["kib"] <= 50
    table = (
        "## Live streams (`bench/streams.py`)\n\n"
        f"{args.subscribers:,} SSE subscribers on one uvicorn worker, {args.events} events "
        f"{args.spacing * 1000:.0f} ms apart; delay = publish to the LAST subscriber (all "
        "subscribers are raw asyncio sockets in one client process, on the same busy 2-core "
        "machine, so client scheduling is included). Memory: server RSS growth per connected, "
        "idle subscriber.\n\n"
        "| server | p50 ms | p99 ms | KiB per idle subscriber | events seen by all |\n"
        "|---|---|---|---|---|\n"
        f"| OnePiece `/jobs/stream` (broker, bounded queues, auth, snapshot) | {ours['p50']:.0f} "
        f"| {ours['p99']:.0f} | {ours['kib']:.1f} | {ours['complete']:.0f}/{args.events} |\n"
        f"| peer: bare sse-starlette, one asyncio.Queue each | {peer['p50']:.0f} "
        f"| {peer['p99']:.0f} | {peer['kib']:.1f} | {peer['complete']:.0f}/{args.events} |\n\n"
        f"p99 ratio OnePiece / peer: **{ours['p99'] / peer['p99']:.2f}x**. Goal p99 <= 250 ms and "
        f"<= 50 KiB per idle subscriber: {'met' if met else 'NOT met'}."
    )
    print(table)
    if not args.no_write:
        update_section("streams", table)


if __name__ == "__main__":
    main()
