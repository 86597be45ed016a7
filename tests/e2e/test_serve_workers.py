"""Issue 15 item 4: ``onepiece serve --workers N``, on the default SQLite state
(and sharing the port, history and cache flushes on PostgreSQL too).

Real ``onepiece serve`` subprocesses: the workers share one port and one
history (a job submitted through one worker is listed by the other), an
admin cache flush through one worker empties the other's cache within a
second, a worker killed with ``kill -9`` is replaced while the others keep
answering, Ctrl-C stops them all, and a damaged state database is refused in
one line before anything listens.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

TOKEN = "workers-admin-5c1d7e"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}
JOB = {"dcc": "builtin", "scene": "/scenes/a.json", "frames": "1-10",
       "output": "/renders/a.####.png", "farm": "mock"}  # fmt: skip


def serve_env(**extra: str) -> dict[str, str]:
    return {**os.environ, "TRAFALGAR_DASHBOARD_TOKEN": TOKEN,
            "ONEPIECE_RENDER_MOCK_ENABLED": "true", **extra}  # fmt: skip


@dataclass
class Served:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> str:
        """Ctrl-C, wait; everything it logged."""
        self.process.send_signal(signal.SIGINT)
        self.process.wait(30)
        return self.log.read_text()


@contextmanager
def serving(*args: str, env: dict[str, str], log: Path) -> Iterator[Served]:
    """``onepiece serve --port 0 ARGS`` once it says it listens; its log in a file
    (a pipe nobody reads would block it once full)."""
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "onepiece", "serve", "--port", "0", *args],
            env=env, stdout=subprocess.DEVNULL, stderr=sink,
        )  # fmt: skip
    found = None
    try:
        while process.poll() is None:
            found = re.search(r"listening on (http://127\.0\.0\.1:\d+)", log.read_text())
            if found:
                break
            time.sleep(0.05)
        assert found, log.read_text()
        yield Served(found.group(1), process, log)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            process.wait(30)


def worker_pid(client: httpx.Client) -> int:
    return int(client.get("/health", headers=ADMIN).json()["server"]["pid"])


@contextmanager
def two_workers(url: str) -> Iterator[tuple[httpx.Client, httpx.Client]]:
    """Two keep-alive clients answered by different workers."""
    clients: list[httpx.Client] = []
    try:
        first = httpx.Client(base_url=url, timeout=10)
        clients.append(first)
        pid = worker_pid(first)
        for _ in range(200):  # new connections until the other worker accepts one
            other = httpx.Client(base_url=url, timeout=10)
            clients.append(other)
            if worker_pid(other) != pid:
                yield first, other
                return
        pytest.fail("every connection went to the same worker")
    finally:
        for client in clients:
            client.close()


# A flush reaches the other workers within a second (state.db.flushes reads its
# counter at most once a second); the rest is slack for a loaded machine.
FLUSH_REACHES_SECONDS = 3.0


def flushed_within(client: httpx.Client, seconds: float) -> bool:
    """Whether every bucket of the worker ``client`` reaches is empty within ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        buckets = client.get("/admin/cache", headers=ADMIN).json()["buckets"]
        if all(bucket["entries"] == 0 for bucket in buckets.values()):
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)


def test_two_workers_share_the_port_the_history_and_cache_flushes(
    isolated_env: Path, database_env: dict[str, str]
) -> None:
    log = isolated_env / "serve.log"
    with serving("--workers", "2", env=serve_env(**database_env), log=log) as served:
        url = served.url
        with two_workers(url) as (a, b):
            assert a.get("/health").json()["server"] == {"workers": 2}  # no pid anonymously
            submitted = a.post("/jobs", json=JOB, headers=ADMIN)
            assert submitted.status_code == 201, submitted.text
            job_id = submitted.json()["id"]
            assert b.get(f"/jobs/{job_id}").status_code == 200
            assert job_id in [job["id"] for job in b.get("/jobs").json()["jobs"]]

            for client in (a, b):  # fill both workers' caches
                assert client.get("/metrics", headers=ADMIN).status_code == 200
            assert b.get("/admin/cache", headers=ADMIN).json()["buckets"]["metrics"]["entries"]
            assert a.post("/admin/cache", headers=ADMIN).status_code == 200
            assert flushed_within(b, FLUSH_REACHES_SECONDS)
        stderr = served.stop()
    assert served.process.returncode == 0, stderr
    assert "Trafalgar stopped" in stderr and "Traceback" not in stderr


def test_a_killed_worker_is_replaced_while_the_other_answers(isolated_env: Path) -> None:
    log = isolated_env / "serve.log"
    with (
        serving("--workers", "2", env=serve_env(), log=log) as served,
        two_workers(served.url) as (a, b),
    ):
        url = served.url
        victim = worker_pid(a)
        os.kill(victim, signal.SIGKILL)
        assert b.post("/jobs", json=JOB, headers=ADMIN).status_code == 201
        seen: set[int] = set()
        for _ in range(400):  # the supervisor starts a replacement
            with httpx.Client(base_url=url, timeout=10) as client:
                seen.add(worker_pid(client))
            if len(seen - {victim}) == 2:
                break
        assert victim not in seen and len(seen) == 2


def test_trafalgar_workers_setting_and_a_damaged_state_database(isolated_env: Path) -> None:
    state_db = isolated_env / "data" / "onepiece" / "state.db"
    state_db.parent.mkdir(parents=True, exist_ok=True)
    state_db.write_bytes(b"")
    process = subprocess.run(
        [sys.executable, "-m", "onepiece", "serve", "--port", "0"],
        env=serve_env(TRAFALGAR_WORKERS="2"), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert process.returncode == 3, process.stderr
    assert str(state_db) in process.stderr and "empty" in process.stderr
    assert "listening" not in process.stderr and "Traceback" not in process.stderr
    assert state_db.read_bytes() == b""  # reported, never replaced
