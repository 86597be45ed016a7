"""Issue 21 item 10: every change to a job, whichever process makes it, reaches
every stream subscriber. A real uvicorn server and real ``onepiece render submit
--wait`` processes (no ``--server``) share one history; the CLI writes the final
status itself, and every subscriber must still end with the state ``/jobs`` shows.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from onepiece.config import Settings
from onepiece.web.app import create_app
from tests.integration.render.sse_client import sse_messages
from tests.web_server import LiveServer, serve_app

RUNS = 12
SUBSCRIBERS = 3


class Subscriber(threading.Thread):
    """Reads /jobs/stream and keeps the latest state it saw of every job."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.latest: dict[str, dict[str, Any]] = {}
        self.ready = threading.Event()
        self.stop = threading.Event()

    def run(self) -> None:
        with httpx.stream("GET", f"{self.url}/jobs/stream", timeout=30.0) as response:
            for message in sse_messages(response):
                if self.stop.is_set():
                    return
                if message.comment is not None:
                    continue
                payload = message.json()
                if payload["event"] == "jobs.snapshot":
                    self.ready.set()
                    continue
                job = payload["job"]
                self.latest[job["job_id"]] = job


def _submit_wait(data_dir: Path, scene: Path, output: Path) -> str:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path),
           "ONEPIECE_DATA_DIR": str(data_dir), "ONEPIECE_RENDER_POLL_SECONDS": "0.05"}  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-m", "onepiece", "render", "submit", "--dcc", "builtin",
         "--scene", str(scene), "--frames", "1-2", "--output", str(output),
         "--chunk-size", "1", "--wait", "--format", "json"],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    job_id: str = json.loads(result.stdout)["id"]
    return job_id


def _settled(subscriber: Subscriber, jobs: dict[str, dict[str, Any]]) -> bool:
    return all(
        (seen := subscriber.latest.get(job_id)) is not None
        and (seen["status"], seen["frame_counts"]) == (job["status"], job["frame_counts"])
        for job_id, job in jobs.items()
    )


def test_every_subscriber_ends_with_the_state_jobs_reports_for_cli_wait_jobs(
    tmp_path: Path, make_scene: Callable[..., Path]
) -> None:
    data_dir = tmp_path / "data"
    settings = Settings(data_dir=data_dir, render={"poll_seconds": 0.5},
                        trafalgar={"stream_keepalive_seconds": 0.2})  # fmt: skip
    scene = make_scene()
    with serve_app(create_app(settings)) as server:
        subscribers = _subscribe(server)
        with ThreadPoolExecutor(4) as pool:
            ids = list(pool.map(
                lambda n: _submit_wait(data_dir, scene, tmp_path / f"o{n}" / "f.####.png"),
                range(RUNS),
            ))  # fmt: skip
        listed = httpx.get(f"{server.url}/jobs", params={"limit": 1000}).json()["jobs"]
        jobs = {job["id"]: job for job in listed}
        assert set(jobs) == set(ids) and {j["status"] for j in jobs.values()} == {"succeeded"}
        deadline = time.monotonic() + 30.0
        while time.monotonic() < deadline and not all(_settled(s, jobs) for s in subscribers):
            time.sleep(0.1)
        for subscriber in subscribers:
            subscriber.stop.set()
            stale = {
                job_id: subscriber.latest.get(job_id, {}).get("status")
                for job_id, job in jobs.items()
                if subscriber.latest.get(job_id, {}).get("status") != job["status"]
            }
            assert stale == {}, f"subscriber left jobs in another state than /jobs: {stale}"


def _subscribe(server: LiveServer) -> list[Subscriber]:
    subscribers = [Subscriber(server.url) for _ in range(SUBSCRIBERS)]
    for subscriber in subscribers:
        subscriber.start()
    for subscriber in subscribers:
        assert subscriber.ready.wait(30.0)
    return subscribers
