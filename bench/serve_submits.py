"""Submits/s over HTTP and ``GET /jobs`` first page, on SQLite and on PostgreSQL.

Real ``onepiece serve`` processes, side by side in one run: the SQLite
default (one process, and ``--workers 2``) and PostgreSQL with ``--workers
2`` (a fresh database, created and dropped here). Each submit is ``POST
/jobs`` on the mock farm with its own ``Idempotency-Key`` (a retrying
client's submit: two commits to the state database, the key claimed, then
the job recorded with the key bound in the same transaction) from
keep-alive connections of a raw asyncio client, so the client costs little
of the shared CPU. Submits/s are measured in windows from an empty history to
``--jobs``: the first window against the last says whether the rate stays
flat. Then the first page of ``GET /jobs`` (100 jobs, newest first) is asked
for one request at a time. The render poller's round is set to five minutes (the most allowed) so
50,000 unfinished mock jobs are not polled during the run. Goals: >= 1,000
submits/s on both backends, flat; first page p99 <= 50 ms with 50,000 jobs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.report import update_section

TOKEN = "bench-serve-submits-token"
PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
CONNECTIONS = 16
WINDOWS = 5


def _start(args: list[str], env: dict[str, str], log: Path) -> tuple[subprocess.Popen[bytes], str]:
    with log.open("wb") as sink:  # a file, not a pipe: the access log never blocks the server
        process = subprocess.Popen(
            [sys.executable, "-m", "onepiece", "serve", "--port", "0", *args],
            env=env, stdout=subprocess.DEVNULL, stderr=sink,
        )  # fmt: skip
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        found = re.search(r"listening on (http://[\d.]+:\d+)", log.read_text(errors="replace"))
        if found:
            return process, found.group(1)
        if process.poll() is not None:
            break
        time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"serve did not start:\n{log.read_text(errors='replace')[-2000:]}")


async def _request(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: bytes, body: bytes = b""
) -> int:
    writer.write(head + body)
    status = int((await reader.readline()).split()[1])
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        if name.lower() == b"content-length":
            length = int(value)
    await reader.readexactly(length)
    return status


def _submit_head(host: str, n: int, body: bytes) -> bytes:
    return (
        f"POST /jobs HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {TOKEN}\r\n"
        f"Idempotency-Key: bench-{n}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()


async def _submit(url: str, first: int, count: int) -> float:
    """Submit ``count`` jobs over CONNECTIONS keep-alive connections; submits/s."""
    host, port = url.removeprefix("http://").split(":")
    numbers = iter(range(first, first + count))

    async def connection() -> None:
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            for n in numbers:
                body = json.dumps({"dcc": "builtin", "scene": f"/shots/sh{n}.json",
                                   "frames": "1-100", "output": f"/r/sh{n}.####.png",
                                   "farm": "mock"}).encode()  # fmt: skip
                status = await _request(reader, writer, _submit_head(host, n, body), body)
                if status != 201:
                    raise RuntimeError(f"submit {n}: HTTP {status}")
        finally:
            writer.close()

    start = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(CONNECTIONS)))
    return count / (time.perf_counter() - start)


async def _first_pages(url: str, requests: int) -> list[float]:
    """Milliseconds per ``GET /jobs`` (first page), one request at a time."""
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    head = f"GET /jobs HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {TOKEN}\r\n\r\n"
    samples = []
    try:
        for _ in range(requests + 10):
            start = time.perf_counter()
            assert await _request(reader, writer, head.encode()) == 200
            samples.append((time.perf_counter() - start) * 1000)
    finally:
        writer.close()
    return samples[10:]  # the first ones warm the connection and the caches


def _scenario(label: str, args: list[str], extra: dict[str, str], jobs: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-serve-") as tmp:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path),
               "XDG_DATA_HOME": tmp, "XDG_CONFIG_HOME": tmp,
               "TRAFALGAR_DASHBOARD_TOKEN": TOKEN, "ONEPIECE_RENDER_MOCK_ENABLED": "true",
               "ONEPIECE_RENDER_POLL_SECONDS": "300",
               "TRAFALGAR_RENDER_JOBS_HISTORY_LIMIT": str(jobs * 2), **extra}  # fmt: skip
        env.pop("TRAFALGAR_READ_TOKEN", None)
        process, url = _start(args, env, Path(tmp) / "serve.log")
        try:
            window = jobs // WINDOWS
            rates = [asyncio.run(_submit(url, w * window, window)) for w in range(WINDOWS)]
            pages = asyncio.run(_first_pages(url, 300))
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(60)
    print(f"{label}: {[round(r) for r in rates]} submits/s, "
          f"GET /jobs p99 {statistics.quantiles(pages, n=100)[98]:.1f} ms", flush=True)  # fmt: skip
    return {"label": label, "rates": rates, "pages": pages}


def _postgresql() -> tuple[str, Any]:
    import sqlalchemy as sa

    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"onepiece_bench_{secrets.token_hex(4)}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()

    return f"postgresql://postgres@127.0.0.1:5432/{name}", drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=50_000)
    parser.add_argument("--no-write", action="store_true", help="print, leave docs alone")
    options = parser.parse_args()
    load = "Load average at the start: {:.1f} / {:.1f} / {:.1f}.".format(*os.getloadavg())
    pg_url, drop = _postgresql()
    try:
        results = [
            _scenario("SQLite default, 1 process", [], {}, options.jobs),
            _scenario("SQLite default, --workers 2", ["--workers", "2"], {}, options.jobs),
            _scenario(
                "PostgreSQL, --workers 2",
                ["--workers", "2"],
                {"ONEPIECE_DATABASE_URL": pg_url},
                options.jobs,
            ),  # fmt: skip
        ]
    finally:
        drop()
    if not options.no_write:
        update_section("serve_submits", _report(results, options.jobs, load))


def _report(results: list[dict[str, Any]], jobs: int, load: str) -> str:
    window = jobs // WINDOWS
    rows = []
    for r in results:
        rates, pages = r["rates"], r["pages"]
        p50, p99 = statistics.median(pages), statistics.quantiles(pages, n=100)[98]
        rows.append(
            f"| {r['label']} | {rates[0]:,.0f} | {rates[-1]:,.0f} | {rates[-1] / rates[0]:.2f}x "
            f"| {statistics.median(rates):,.0f} | {p50:.1f} | {p99:.1f} |"
        )
    sqlite, pg = results[0], results[-1]
    ratio = statistics.median(pg["rates"]) / statistics.median(sqlite["rates"])
    return "\n".join(
        [
            "## Submits over HTTP, SQLite and PostgreSQL (`bench/serve_submits.py`)",
            "",
            f"{jobs:,} `POST /jobs` per row (mock farm, each with its own Idempotency-Key) "
            f"from {CONNECTIONS} keep-alive connections, measured in {WINDOWS} windows of "
            f"{window:,} from an empty history; then 300 `GET /jobs` first pages (100 jobs) "
            f"one at a time with {jobs:,} jobs recorded. Client and servers share this 2-core "
            "machine with other busy jobs.",
            "",
            "| server | submits/s, first window | submits/s, last window | last / first "
            "| median submits/s | GET /jobs p50 ms | GET /jobs p99 ms |",
            "|---|---|---|---|---|---|---|",
            *rows,
            "",
            load,
            "",
            f"PostgreSQL 2 workers / SQLite default, median submits/s: **{ratio:.2f}x**.",
        ]
    )


if __name__ == "__main__":
    main()
