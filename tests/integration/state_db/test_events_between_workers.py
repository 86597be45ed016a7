"""Issue 15 item 3: on PostgreSQL a job written through one ``onepiece serve``
reaches the live stream of another at once (NOTIFY wakes it), not at its next
poll round: the poll rounds here are 5 minutes apart."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from tests.integration.render.sse_client import sse_messages
from tests.integration.state_db.conftest import _empty_pg
from tests.integration.state_db.test_one_poller import WAIT_SECONDS, Serve

TOKEN = "workers-admin-93be10"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}
SETTINGS = {
    "ONEPIECE_RENDER_POLL_SECONDS": "300",
    "ONEPIECE_RENDER_MOCK_ENABLED": "true",
    "TRAFALGAR_DASHBOARD_TOKEN": TOKEN,
}


class Subscriber(threading.Thread):
    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.ready = threading.Event()

    def run(self) -> None:
        try:
            with httpx.stream("GET", f"{self.url}/jobs/stream", timeout=None) as response:
                for message in sse_messages(response):
                    if message.comment is not None:
                        continue
                    payload = message.json()
                    if payload["event"] == "jobs.snapshot":
                        self.ready.set()
                        continue
                    self.events.append((payload["event"], payload["job"]))
        except httpx.HTTPError:
            return  # the server stopped

    def saw(self, event: str, job_id: str) -> bool:
        return any(name == event and job["id"] == job_id for name, job in list(self.events))


def _until(condition: Any, what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"never happened: {what}")


def test_a_job_submitted_on_one_worker_reaches_the_other_workers_stream(
    tmp_path: Path, pg_url: str
) -> None:
    _empty_pg(pg_url)
    scene = tmp_path / "scene.json"
    scene.write_text(json.dumps({"width": 16, "height": 8}))
    body = {"dcc": "builtin", "scene": str(scene), "frames": "1-4",
            "output": str(tmp_path / "out" / "f.####.png"), "farm": "mock"}  # fmt: skip
    first = Serve(tmp_path, "a", pg_url, **SETTINGS)
    servers = [first]
    try:
        second = Serve(tmp_path, "b", pg_url, **SETTINGS)
        servers.append(second)
        watcher = Subscriber(second.url)
        watcher.start()
        assert watcher.ready.wait(WAIT_SECONDS)

        created = httpx.post(f"{first.url}/jobs", json=body, headers=ADMIN, timeout=60)
        assert created.status_code == 201, created.text
        job_id = created.json()["id"]
        _until(lambda: watcher.saw("job.created", job_id), "worker B streams A's job")

        cancelled = httpx.post(f"{second.url}/jobs/{job_id}/cancel", headers=ADMIN, timeout=60)
        assert cancelled.status_code == 200, cancelled.text
        assert httpx.get(f"{first.url}/jobs/{job_id}", timeout=30).json()["status"] == "cancelled"
        assert [name for name, job in watcher.events if job["id"] == job_id].count(
            "job.created"
        ) == 1  # once, however many wake-ups
    finally:
        for server in servers:
            server.stop()


def _entries(server: Serve) -> int:
    stats = httpx.get(f"{server.url}/admin/cache", headers=ADMIN, timeout=30).json()
    return sum(bucket["entries"] for bucket in stats["buckets"].values())


def test_an_admin_cache_flush_reaches_every_worker(tmp_path: Path, pg_url: str) -> None:
    _empty_pg(pg_url)
    first = Serve(tmp_path, "a", pg_url, **SETTINGS)
    servers = [first]
    try:
        second = Serve(tmp_path, "b", pg_url, **SETTINGS)
        servers.append(second)
        assert httpx.get(f"{second.url}/metrics", headers=ADMIN, timeout=60).status_code == 200
        assert _entries(second) > 0
        flushed = httpx.post(f"{first.url}/admin/cache", headers=ADMIN, timeout=30)
        assert flushed.status_code == 200
        _until(lambda: _entries(second) == 0, "worker B's cache is flushed too")
    finally:
        for server in servers:
            server.stop()
