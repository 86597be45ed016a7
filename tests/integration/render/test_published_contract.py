"""Issue 21 item 8: stream events and /metrics use the published documents' names
(``job_id``, ``farm_type``, ``request``; ``by_status.completed``), over a real server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from onepiece.config import Settings
from onepiece.web.app import create_app
from tests.integration.render.sse_client import next_event, sse_messages
from tests.web_server import LiveServer, serve_app

TOKEN = "contract-admin-3b81c0"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    settings = Settings(
        data_dir=tmp_path / "data",
        trafalgar={"dashboard_token": TOKEN, "stream_keepalive_seconds": 0.2},
        render={"poll_seconds": 0.05, "mock_enabled": True},
    )
    with serve_app(create_app(settings)) as live:
        yield live


@pytest.mark.parametrize("farm", ["local", "mock"])
def test_job_events_carry_the_documented_job_id_farm_type_and_request(
    server: LiveServer, tmp_path: Path, make_scene: Callable[..., Path], farm: str
) -> None:
    output = str(tmp_path / "o" / "f.####.png")
    body = {"dcc": "builtin", "scene": str(make_scene()), "frames": "1-2", "farm": farm,
            "output": output, "priority": 40, "user": "ana"}  # fmt: skip
    # With the token: anonymous subscribers see no scene, output or user (docs/api.md).
    with httpx.stream("GET", f"{server.url}/jobs/stream", headers=ADMIN, timeout=30.0) as response:
        messages = sse_messages(response)
        assert next_event(messages).event == "jobs.snapshot"
        created = httpx.post(f"{server.url}/jobs", json=body, headers=ADMIN)
        assert created.status_code == 201, created.text
        event = next_event(messages).json()
    job = event["job"]
    assert event["event"] == "job.created"
    assert job["job_id"] == job["id"] == created.json()["id"]  # both names
    assert job["farm"] == farm and job["farm_type"] == farm
    assert job["status"] == "queued" and "message" in job
    request = job["request"]
    assert {k: request[k] for k in ("dcc", "frames", "farm", "priority", "user")} == {
        "dcc": "builtin", "frames": "1-2", "farm": farm, "priority": 40, "user": "ana",
    }  # fmt: skip
    httpx.post(f"{server.url}/jobs/{job['id']}/cancel", headers=ADMIN)


def test_metrics_count_succeeded_jobs_as_completed(
    server: LiveServer, tmp_path: Path, make_scene: Callable[..., Path]
) -> None:
    body = {"dcc": "builtin", "scene": str(make_scene()), "frames": "1",
            "output": str(tmp_path / "o" / "f.####.png")}  # fmt: skip
    job_id = httpx.post(f"{server.url}/jobs", json=body, headers=ADMIN).json()["id"]
    # With the token: anonymous subscribers see no scene, output or user (docs/api.md).
    with httpx.stream("GET", f"{server.url}/jobs/stream", headers=ADMIN, timeout=30.0) as response:
        messages = sse_messages(response)
        state = next_event(messages).json()["jobs"][0]["status"]
        while state != "succeeded":
            payload = next_event(messages).json()
            state = payload["job"]["status"] if payload["job"]["id"] == job_id else state
    render = httpx.get(f"{server.url}/metrics", headers=ADMIN).json()["render"]
    assert render["by_status"] == {"completed": 1}
    assert render["jobs"] == 1
