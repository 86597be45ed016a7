"""Open reads over a real uvicorn server: no server paths or user names without a token.

The default policy leaves read routes open (no TRAFALGAR_READ_TOKEN). A client
without a token must not learn where the history, scenes, renders or ingest
folders live, nor who submitted or ran what; a valid token shows everything,
and a wrong token is refused, never treated as anonymous.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from websockets.sync.client import connect

from onepiece.config import Settings
from onepiece.web.app import create_app
from tests.web_server import LiveServer, serve_app

TOKEN = "anon-admin-93be1f"
READ = "anon-reader-5d20c4"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}
USER = "mkusanagi"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "secret-data",
        trafalgar={"dashboard_token": TOKEN},
        render={"poll_seconds": 0.05, "mock_enabled": True},
    )


@pytest.fixture
def server(
    settings: Settings, tmp_path: Path, make_scene: Callable[..., Path]
) -> Iterator[LiveServer]:
    registry = settings.ingest_registry_path
    registry.parent.mkdir(parents=True, exist_ok=True)
    run = {
        "id": "run-1",
        "status": "failed",
        "project": "FG",
        "started_at": "2024-05-01T10:00:00Z",
        "folder": str(tmp_path / "incoming" / "delivery_0501"),
        "source": "vendor-a",
        "report_path": str(tmp_path / "reports" / "r.json"),
        "user": USER,
        "host": "render-node-07",
        "pid": 4242,
        "error": f"cannot read {tmp_path}/incoming/delivery_0501/sh010.exr",
        "counts": {"files": 3},
    }
    registry.write_text(json.dumps({"runs": [run]}))
    with serve_app(create_app(settings)) as live:
        body = {
            "dcc": "builtin",
            "scene": str(make_scene()),
            "frames": "1-2",
            "output": str(tmp_path / "renders" / "f.####.png"),
            "farm": "mock",
            "user": USER,
        }
        assert httpx.post(f"{live.url}/jobs", json=body, headers=ADMIN).status_code == 201
        yield live


READ_ROUTES = ("/health", "/jobs", "/runs", "/runs/run-1")


def _leaks(text: str, tmp_path: Path) -> list[str]:
    return [secret for secret in (str(tmp_path), USER, "render-node-07") if secret in text]


def test_anonymous_answers_carry_no_paths_or_user_names(server: LiveServer, tmp_path: Path) -> None:
    job_id = httpx.get(f"{server.url}/jobs", headers=ADMIN).json()["jobs"][0]["id"]
    for path in (*READ_ROUTES, f"/jobs/{job_id}"):
        answer = httpx.get(server.url + path)
        assert answer.status_code == 200, (path, answer.text)
        assert _leaks(answer.text, tmp_path) == [], (path, answer.text)
    job = httpx.get(f"{server.url}/jobs/{job_id}").json()
    assert job["scene"] is None and job["output"] is None and job["user"] is None
    assert job["frames"] == "1-2"  # what is not private stays
    run = httpx.get(f"{server.url}/runs/run-1").json()
    assert run["status"] == "failed" and run["counts"] == {"files": 3}


def test_a_valid_token_shows_paths_and_user_names(server: LiveServer, tmp_path: Path) -> None:
    job = httpx.get(f"{server.url}/jobs", headers=ADMIN).json()["jobs"][0]
    assert job["scene"].startswith(str(tmp_path)) and job["user"] == USER
    run = httpx.get(f"{server.url}/runs/run-1", params={"token": TOKEN}).json()
    assert run["user"] == USER and run["folder"].startswith(str(tmp_path))
    health = httpx.get(f"{server.url}/health", headers=ADMIN).text
    assert "secret-data" in health


def test_a_wrong_token_is_401_on_every_open_route(server: LiveServer) -> None:
    for path in READ_ROUTES:
        for kwargs in (
            {"headers": {"Authorization": "Bearer not-the-token"}},
            {"headers": {"Authorization": "Basic dXNlcjpwYXNz"}},
            {"params": {"token": "not-the-token"}},
        ):
            answer = httpx.get(server.url + path, **kwargs)  # type: ignore[arg-type]
            assert answer.status_code == 401, (path, kwargs, answer.text)
            assert answer.json()["error"]["code"] == "auth.invalid_token"


def test_the_read_token_counts_as_a_valid_token(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path / "secret-data",
        trafalgar={"dashboard_token": TOKEN, "read_token": READ},
    )
    with serve_app(create_app(settings)) as live:
        shown = httpx.get(f"{live.url}/health", headers={"Authorization": f"Bearer {READ}"})
        assert "secret-data" in shown.text
        assert httpx.get(f"{live.url}/health").status_code == 401


def _sse_data(url: str, count: int) -> list[str]:
    """The data lines of the first ``count`` SSE events."""
    found: list[str] = []
    with httpx.stream("GET", url, timeout=20) as response:
        assert response.status_code == 200
        for line in response.iter_lines():
            if line.startswith("data:"):
                found.append(line)
                if len(found) == count:
                    break
    return found


def test_anonymous_streams_carry_no_paths_or_user_names(
    server: LiveServer, tmp_path: Path, make_scene: Callable[..., Path]
) -> None:
    body = {
        "dcc": "builtin",
        "scene": str(make_scene("second.json")),
        "frames": "1-2",
        "output": str(tmp_path / "renders" / "g.####.png"),
        "farm": "mock",
        "user": USER,
    }
    # The snapshot, then the job.created of a job submitted while listening.
    submit = threading.Timer(
        0.5, httpx.post, (f"{server.url}/jobs",), {"json": body, "headers": ADMIN}
    )
    submit.start()
    jobs = _sse_data(server.url + "/jobs/stream", 2)
    submit.join()
    assert len(jobs) == 2 and '"job"' in jobs[1], jobs
    runs = _sse_data(server.url + "/runs/stream", 1)
    assert "run-1" in runs[0]
    for lines in (jobs, runs):
        assert _leaks("\n".join(lines), tmp_path) == [], lines
    for path in ("/jobs/ws", "/runs/ws"):
        with connect(server.ws_url + path, open_timeout=10) as socket:
            snapshot = str(socket.recv(timeout=10))
        assert _leaks(snapshot, tmp_path) == [], (path, snapshot)
    with connect(server.ws_url + "/jobs/ws?token=" + TOKEN, open_timeout=10) as socket:
        assert USER in str(socket.recv(timeout=10))  # a token holder sees everything
