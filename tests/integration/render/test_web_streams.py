"""Live streams over a real uvicorn server: SSE (httpx) and WebSocket (websockets)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from onepiece.config import Settings
from onepiece.web.app import create_app
from tests.integration.render.sse_client import next_event, sse_messages
from tests.web_server import LiveServer, serve_app

ADMIN_TOKEN = "stream-admin-5d2e8b"
READ_TOKEN = "stream-reader-91c4aa"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
TIMEOUT = httpx.Timeout(30.0)


def _settings(tmp_path: Path, **trafalgar: Any) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        trafalgar={"dashboard_token": ADMIN_TOKEN, "stream_keepalive_seconds": 0.2, **trafalgar},
        render={"poll_seconds": 0.05},
    )


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    with serve_app(create_app(_settings(tmp_path))) as live:
        yield live


def _submit(server: LiveServer, scene: Path, tmp_path: Path, frames: str = "1-3") -> str:
    body = {"dcc": "builtin", "scene": str(scene), "frames": frames,
            "output": str(tmp_path / "o" / "f.####.png"), "chunk_size": 1}  # fmt: skip
    answer = httpx.post(f"{server.url}/jobs", json=body, headers=ADMIN)
    assert answer.status_code == 201, answer.text
    job_id: str = answer.json()["id"]
    return job_id


def test_sse_sends_a_snapshot_then_job_events_until_the_job_succeeds(
    server: LiveServer, tmp_path: Path, make_scene: Callable[..., Path]
) -> None:
    earlier = _submit(server, make_scene(), tmp_path, frames="1")
    with httpx.stream("GET", f"{server.url}/jobs/stream", timeout=TIMEOUT) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        messages = sse_messages(response)
        snapshot = next_event(messages)
        assert snapshot.event == "jobs.snapshot" and snapshot.id
        assert [j["id"] for j in snapshot.json()["jobs"]] == [earlier]
        job_id = _submit(server, make_scene(), tmp_path)
        seen = []
        saw_keepalive = succeeded = False
        for message in messages:
            if message.comment is not None:
                saw_keepalive = True  # idle streams get keep-alive comments
            else:
                payload = message.json()
                assert payload["event"] == message.event and message.id
                if payload["job"]["id"] == job_id:
                    seen.append(payload)
                    succeeded = payload["job"]["status"] == "succeeded"
            if succeeded and saw_keepalive:
                break
    assert seen[0]["event"] == "job.created"
    assert {p["event"] for p in seen[1:]} == {"job.updated"}
    assert seen[-1]["job"]["frame_counts"]["succeeded"] == 3


def test_sse_reconnect_with_last_event_id_replays_only_what_was_missed(
    server: LiveServer, tmp_path: Path, make_scene: Callable[..., Path]
) -> None:
    scene = make_scene(delay=5)  # jobs stay queued/running: few events per job
    with httpx.stream("GET", f"{server.url}/jobs/stream", timeout=TIMEOUT) as response:
        messages = sse_messages(response)
        next_event(messages)  # snapshot
        first = _submit(server, scene, tmp_path)
        created = next_event(messages)
        assert created.json() == {"event": "job.created", "job": created.json()["job"]}
        assert created.json()["job"]["id"] == first
        last_id = created.id
    missed = _submit(server, scene, tmp_path)
    headers = {"Last-Event-ID": last_id or ""}
    with httpx.stream("GET", f"{server.url}/jobs/stream", headers=headers, timeout=TIMEOUT) as r:
        messages = sse_messages(r)
        replayed = next_event(messages)
        assert replayed.event != "jobs.snapshot"  # a replay, not a snapshot
        events = [replayed]
        while not any(e.json()["job"]["id"] == missed and e.event == "job.created" for e in events):
            events.append(next_event(messages))
        assert all(e.id != last_id for e in events)
    for job_id in (first, missed):
        httpx.post(f"{server.url}/jobs/{job_id}/cancel", headers=ADMIN)


def test_websocket_sends_the_same_snapshot_and_events(
    server: LiveServer, tmp_path: Path, make_scene: Callable[..., Path]
) -> None:
    with connect(f"{server.ws_url}/jobs/ws", open_timeout=30) as ws:
        snapshot = json.loads(ws.recv(timeout=30))
        assert snapshot["event"] == "jobs.snapshot" and snapshot["jobs"] == []
        job_id = _submit(server, make_scene(), tmp_path)
        events = []
        while not events or events[-1]["job"]["status"] != "succeeded":
            message = json.loads(ws.recv(timeout=30))
            assert set(message) == {"id", "event", "job"}
            events.append(message)
    assert events[0]["event"] == "job.created" and events[0]["job"]["id"] == job_id
    assert {e["event"] for e in events[1:]} == {"job.updated"}


def test_streams_follow_the_read_token_policy(tmp_path: Path) -> None:
    with serve_app(create_app(_settings(tmp_path, read_token=READ_TOKEN))) as live:
        for path in ("/jobs/stream", "/runs/stream"):
            denied = httpx.get(live.url + path, timeout=TIMEOUT)
            assert denied.status_code == 401
            assert denied.json()["error"]["code"] == "auth.missing_token"
            wrong = httpx.get(live.url + path, headers={"Authorization": "Bearer x"})
            assert wrong.status_code == 401
            bearer = {"Authorization": f"Bearer {READ_TOKEN}"}
            with httpx.stream("GET", live.url + path, headers=bearer, timeout=TIMEOUT) as ok:
                assert ok.status_code == 200
                assert next_event(sse_messages(ok)).event in ("jobs.snapshot", "runs.snapshot")
        for path in ("/jobs/ws", "/runs/ws"):
            with pytest.raises(InvalidStatus) as info:
                connect(live.ws_url + path, open_timeout=30)
            assert info.value.response.status_code == 401
            with connect(f"{live.ws_url}{path}?token={READ_TOKEN}", open_timeout=30) as ws:
                assert json.loads(ws.recv(timeout=30))["event"].endswith(".snapshot")
            header = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
            with connect(live.ws_url + path, additional_headers=header, open_timeout=30) as ws:
                assert json.loads(ws.recv(timeout=30))["event"].endswith(".snapshot")


# A CLI process writing the runs with ingest's own store (save = insert or replace
# one run, in one transaction, with its stream event).
WRITER = """
import json, sys
from onepiece.state.db.engine import create_state_engine
from onepiece.state.db.migrate import upgrade
from onepiece.state.db.records import SqlIngestRunStore
url, runs = sys.argv[1], json.loads(sys.argv[2])
engine = create_state_engine(url)
upgrade(engine)
for run in runs:
    SqlIngestRunStore(engine).save(run)
engine.dispose()
"""


def _write_registry(path: Path, runs: list[dict[str, Any]]) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    url = f"sqlite:///{path}"
    subprocess.run([sys.executable, "-c", WRITER, url, json.dumps(runs)], check=True, env=env)


def _run(run_id: str, status: str, files: int) -> dict[str, Any]:
    return {"id": run_id, "project": "demo", "status": status,
            "started_at": "2026-01-01T10:00:00+00:00", "counts": {"files": files}}  # fmt: skip


def test_runs_written_by_another_process_stream_live_without_duplicates(
    tmp_path: Path,
) -> None:
    settings = _settings(tmp_path)
    registry = settings.state_db_path
    _write_registry(registry, [_run("old", "completed", 3)])
    with (
        serve_app(create_app(settings)) as live,
        httpx.stream("GET", f"{live.url}/runs/stream", timeout=TIMEOUT) as response,
        connect(f"{live.ws_url}/runs/ws", open_timeout=30) as ws,
    ):
        messages = sse_messages(response)
        assert [r["id"] for r in next_event(messages).json()["runs"]] == ["old"]
        assert json.loads(ws.recv(timeout=30))["event"] == "runs.snapshot"

        def received() -> list[tuple[str, str, int]]:
            payloads = [next_event(messages).json(), json.loads(ws.recv(timeout=30))]
            return [(p["event"], p["run"]["id"], p["run"]["counts"]["files"]) for p in payloads]

        _write_registry(registry, [_run("new", "running", 0)])
        assert received() == [("run.created", "new", 0)] * 2
        _write_registry(registry, [_run("new", "running", 5)])
        assert received() == [("run.updated", "new", 5)] * 2
        _write_registry(registry, [_run("new", "running", 5)])  # rewritten, no change
        _write_registry(registry, [_run("new", "completed", 9)])
        # The identical rewrite published nothing: the next event is the real change.
        assert received() == [("run.updated", "new", 9)] * 2
