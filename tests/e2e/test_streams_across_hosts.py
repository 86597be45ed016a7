"""Issue 15, shown end to end: two ``onepiece serve`` processes with separate
data directories (two "hosts", each with its own local farm) sharing only a
PostgreSQL database created for this test.

- a job submitted through A appears on B's SSE stream and WebSocket;
- a CLI ingest from a third process appears live on both;
- a cancel through B stops A's local farm job;
- ``kill -9`` of the poller (A) hands polling to B;
- a client of A reconnecting to B with ``Last-Event-ID`` gets exactly the
  events it missed: none twice, none left out.
"""

from __future__ import annotations

import json
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from onepiece.samples import SampleDelivery
from tests.e2e.conftest import Run
from tests.integration.render.sse_client import sse_messages
from tests.integration.state_db.conftest import PG_ADMIN_URL
from tests.integration.state_db.test_events_between_workers import _until
from tests.integration.state_db.test_one_poller import WAIT_SECONDS, Serve
from tests.pg_database import fresh_pg_database

TOKEN = "hosts-admin-5c1e77"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}
SETTINGS = {
    "TRAFALGAR_DASHBOARD_TOKEN": TOKEN,
    "ONEPIECE_RENDER_MOCK_ENABLED": "true",
    "TRAFALGAR_STREAM_KEEPALIVE_SECONDS": "0.5",
}


@pytest.fixture
def shared_database() -> Iterator[str]:
    """A fresh PostgreSQL database of this test's own, dropped at the end."""
    with fresh_pg_database("onepiece_hosts") as name:
        yield sa.make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


class Stream(threading.Thread):
    """An SSE client: every event it receives, as (id, payload)."""

    def __init__(self, url: str, path: str, last_event_id: str | None = None) -> None:
        super().__init__(daemon=True)
        self.url, self.path, self.last_event_id = url, path, last_event_id
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.ready = threading.Event()
        self.stop = threading.Event()
        self.start()
        assert self.ready.wait(WAIT_SECONDS), f"no stream from {url}{path}"

    def run(self) -> None:
        headers = {"Last-Event-ID": self.last_event_id} if self.last_event_id else {}
        try:
            with httpx.stream("GET", self.url + self.path, headers=headers, timeout=None) as r:
                if self.last_event_id:
                    self.ready.set()  # a resumed stream sends no snapshot
                for message in sse_messages(r):
                    if self.stop.is_set():
                        return
                    if message.comment is not None:
                        continue
                    payload = message.json()
                    if payload["event"].endswith(".snapshot"):
                        self.ready.set()
                    else:
                        self.events.append((str(message.id), payload))
        except httpx.HTTPError:
            return  # the server went away (kill -9)

    def saw(self, event: str, key: str, item_id: str, **fields: Any) -> bool:
        return any(
            payload["event"] == event
            and payload[key]["id"] == item_id
            and all(payload[key].get(name) == value for name, value in fields.items())
            for _, payload in list(self.events)
        )


class Socket(threading.Thread):
    """A WebSocket client of ``/jobs/ws``: every message after the snapshot."""

    def __init__(self, ws_url: str) -> None:
        super().__init__(daemon=True)
        self.ws_url = ws_url
        self.messages: list[dict[str, Any]] = []
        self.ready = threading.Event()
        self.start()
        assert self.ready.wait(WAIT_SECONDS)

    def run(self) -> None:
        try:
            with connect(f"{self.ws_url}/jobs/ws", open_timeout=30) as ws:
                for text in ws:
                    message = json.loads(text)
                    if message["event"] == "jobs.snapshot":
                        self.ready.set()
                    else:
                        self.messages.append(message)
        except (ConnectionClosed, OSError):
            return

    def saw(self, event: str, job_id: str) -> bool:
        return any(m["event"] == event and m["job"]["id"] == job_id for m in list(self.messages))


def _job_body(tmp_path: Path, farm: str, frames: str) -> dict[str, Any]:
    scene = tmp_path / "scene.json"
    scene.write_text(json.dumps({"width": 16, "height": 8, "delay": 0.5}))
    return {"dcc": "builtin", "scene": str(scene), "frames": frames, "farm": farm,
            "output": str(tmp_path / "out" / farm / "f.####.png")}  # fmt: skip


def _ingest(onepiece: Run, delivery: SampleDelivery, url: str) -> None:
    args = ["ingest", "--project", "demo", "--show-code", "FG", str(delivery.folder)]
    if delivery.manifest:
        args += ["--manifest", str(delivery.manifest)]
    result = onepiece(*args, env={"ONEPIECE_DATABASE_URL": url})
    assert result.returncode == 0, result.stderr


def _completed_run(stream: Stream) -> bool:
    return any(
        payload["event"] in ("run.created", "run.updated")
        and payload["run"].get("status") == "completed"
        for _, payload in list(stream.events)
    )


def test_two_hosts_on_one_postgresql_share_streams_cancels_polling_and_replay(
    onepiece: Run,
    clean_delivery: SampleDelivery,
    isolated_env: Path,
    tmp_path: Path,
    shared_database: str,
) -> None:
    a = Serve(tmp_path, "host-a", shared_database, **SETTINGS)
    servers = [a]
    try:
        _until(lambda: a.role() == "polling", "host A polls (it started first)")
        b = Serve(tmp_path, "host-b", shared_database, **SETTINGS)
        servers.append(b)
        b_jobs, b_socket = Stream(b.url, "/jobs/stream"), Socket(b.url.replace("http", "ws", 1))
        a_jobs = Stream(a.url, "/jobs/stream")  # the client that will move to B
        runs = [Stream(a.url, "/runs/stream"), Stream(b.url, "/runs/stream")]

        # A job submitted through A (its local farm) shows on B's SSE and WebSocket.
        created = httpx.post(f"{a.url}/jobs", json=_job_body(tmp_path, "local", "1-60"),
                             headers=ADMIN, timeout=60)  # fmt: skip
        assert created.status_code == 201, created.text
        job_id = created.json()["id"]
        _until(lambda: b_jobs.saw("job.created", "job", job_id), "B's SSE shows A's job")
        _until(lambda: b_socket.saw("job.created", job_id), "B's WebSocket shows A's job")

        # A CLI ingest on a third machine streams live on both hosts.
        _ingest(onepiece, clean_delivery, shared_database)
        for stream in runs:
            _until(lambda s=stream: _completed_run(s), f"{stream.url} streams the ingest")

        # Cancel through B: A's poller stops its local farm job; B polls on regardless.
        cancelled = httpx.post(f"{b.url}/jobs/{job_id}/cancel", headers=ADMIN, timeout=60)
        assert cancelled.status_code == 200, cancelled.text
        assert cancelled.json()["cancel_requested"] == "cancelled via the API"  # A stops it
        assert cancelled.json()["host"] == created.json()["host"] is not None
        _until(
            lambda: b_jobs.saw("job.updated", "job", job_id, status="cancelled"),
            "B streams the job cancelled by A's farm",
        )
        assert httpx.get(f"{b.url}/jobs/{job_id}", timeout=30).json()["status"] == "cancelled"
        assert b.role() == "standby"

        # kill -9 of the poller: B takes over; A's client reconnects to B.
        _until(lambda: bool(a_jobs.events), "A's client has seen events")
        a.process.send_signal(signal.SIGKILL)
        a.process.wait(timeout=30)
        a_jobs.join(timeout=30)
        last_seen = a_jobs.events[-1][0]
        missed = [
            httpx.post(f"{b.url}/jobs", json=_job_body(tmp_path, "mock", "1-2"),
                       headers=ADMIN, timeout=60).json()["id"]
            for _ in range(2)
        ]  # fmt: skip
        _until(lambda: b.role() == "polling", "B polls once A is gone")
        resumed = Stream(b.url, "/jobs/stream", last_event_id=last_seen)
        for new_id in missed:
            _until(lambda n=new_id: resumed.saw("job.created", "job", n), "the missed job")

        # Exactly what B streamed after that id, in order: none twice, none missed.
        newest = resumed.events[-1][0]
        _until(lambda: any(int(i) >= int(newest) for i, _ in b_jobs.events), "B's own client")
        live = [event_id for event_id, _ in b_jobs.events]
        expected = [i for i in live if int(last_seen) < int(i) <= int(newest)]
        got = [event_id for event_id, _ in resumed.events if int(event_id) <= int(newest)]
        assert got == expected and len(set(got)) == len(got)
        assert all(int(i) > int(last_seen) for i, _ in resumed.events)
        for stream in (b_jobs, resumed, *runs):
            stream.stop.set()
    finally:
        for server in servers:
            server.stop()
