"""Issue 15 crash test: ``kill -9`` of ``onepiece serve`` during 500 concurrent submits.

Every submit carries its own ``Idempotency-Key``. Once part of them have been
acknowledged (a 2xx received), the server is killed with SIGKILL while the
rest are in flight. After a restart on the same state, every acknowledged
job is there, and retrying an acknowledged key gets the same job back
(``200``, ``Idempotent-Replayed``), never a second one: the number of jobs
does not change. On the default SQLite state and on a fresh PostgreSQL
database created (and dropped) by the test.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

TOKEN = "crash-admin-93b1e0"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}
SUBMITS = 500
KILL_AFTER = 150  # acknowledged submits before the kill: the rest are in flight


def body(n: int) -> dict[str, str]:
    return {"dcc": "builtin", "scene": f"/scenes/{n}.json", "frames": "1-10",
            "output": f"/renders/{n}.####.png", "farm": "mock"}  # fmt: skip


def start(env: dict[str, str], log: Path) -> tuple[str, subprocess.Popen[bytes]]:
    """Serve with its log in a file: a pipe nobody reads would block it mid-test."""
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "onepiece", "serve", "--port", "0"],
            env=env, stdout=subprocess.DEVNULL, stderr=sink,
        )  # fmt: skip
    while process.poll() is None:
        found = re.search(r"listening on (http://127\.0\.0\.1:\d+)", log.read_text())
        if found:
            return found.group(1), process
        time.sleep(0.05)
    raise AssertionError(log.read_text())


async def submit_until_killed(url: str, process: subprocess.Popen[bytes]) -> dict[str, str]:
    """{key: job id} of the submits acknowledged before the kill."""
    acknowledged: dict[str, str] = {}
    limits = httpx.Limits(max_connections=50)
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as client:

        async def submit(n: int) -> None:
            key = f"crash-{n}"
            try:
                response = await client.post(
                    "/jobs", json=body(n), headers={**ADMIN, "Idempotency-Key": key}
                )
            except httpx.TransportError:
                return  # in flight when the server died: not acknowledged
            if response.is_success:
                acknowledged[key] = response.json()["id"]
                if len(acknowledged) == KILL_AFTER:
                    process.send_signal(signal.SIGKILL)

        await asyncio.gather(*(submit(n) for n in range(SUBMITS)))
    return acknowledged


def all_job_ids(client: httpx.Client) -> list[str]:
    ids: list[str] = []
    cursor: str | None = None
    while True:
        params = {"limit": "1000", **({"cursor": cursor} if cursor else {})}
        page = client.get("/jobs", params=params, headers=ADMIN).json()
        ids.extend(job["id"] for job in page["jobs"])
        cursor = page.get("next_cursor")
        if not cursor:
            return ids


async def retry(url: str, acknowledged: dict[str, str]) -> dict[str, httpx.Response]:
    """The acknowledged submits again, with their keys, all at once."""
    limits = httpx.Limits(max_connections=50)
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as client:

        async def again(key: str) -> tuple[str, httpx.Response]:
            n = int(key.removeprefix("crash-"))
            headers = {**ADMIN, "Idempotency-Key": key}
            return key, await client.post("/jobs", json=body(n), headers=headers)

        return dict(await asyncio.gather(*(again(key) for key in acknowledged)))


def test_no_acknowledged_submit_is_lost_and_retries_never_make_a_second_job(
    isolated_env: Path, database_env: dict[str, str]
) -> None:
    env = {**os.environ, "TRAFALGAR_DASHBOARD_TOKEN": TOKEN,
           "ONEPIECE_RENDER_MOCK_ENABLED": "true", **database_env}  # fmt: skip
    url, process = start(env, isolated_env / "first.log")
    try:
        acknowledged = asyncio.run(submit_until_killed(url, process))
    finally:
        process.kill()
        process.wait(30)
    assert process.returncode == -signal.SIGKILL
    assert KILL_AFTER <= len(acknowledged) < SUBMITS  # killed in the middle

    url, process = start(env, isolated_env / "restarted.log")
    try:
        with httpx.Client(base_url=url, timeout=30) as client:
            before = all_job_ids(client)
            assert len(before) == len(set(before))
            assert set(acknowledged.values()) <= set(before)  # none lost
            for key, answer in asyncio.run(retry(url, acknowledged)).items():
                assert answer.status_code == 200, answer.text
                assert answer.headers["Idempotent-Replayed"] == "true"
                assert answer.json()["id"] == acknowledged[key]
            assert sorted(all_job_ids(client)) == sorted(before)  # no second job
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(30)
