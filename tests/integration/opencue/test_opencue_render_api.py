"""Render jobs on OpenCue through OnePiece's job API: submit, follow, cancel, metrics."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient

from onepiece.config import Settings
from onepiece.web.app import create_app
from tests.fake_cuebot import FakeCuebot
from tests.integration.opencue.conftest import MakeSettings
from tests.web_server import serve_app

ADMIN = "opencue-admin-77a1c4"
JOB = {
    "farm": "opencue",
    "dcc": "blender",
    "scene": "/shows/testing/sh050/sh050_lgt_v001.blend",
    "frames": "1-12",
    "output": "/renders/sh050/beauty.####.exr",
    "chunk_size": 4,
    "user": "erin",
}


def bearer() -> dict[str, str]:
    return {"Authorization": f"Bearer {ADMIN}"}


@pytest.fixture
def api_settings(fake_cuebot: FakeCuebot, opencue_settings: MakeSettings) -> Settings:
    return opencue_settings(
        fake_cuebot.address,
        OPENCUE_DEFAULT_SHOW="testing",
        TRAFALGAR_DASHBOARD_TOKEN=ADMIN,
        ONEPIECE_RENDER_POLL_SECONDS="300",  # refreshed by hand below, not by the clock
    )


@pytest.fixture
def client(api_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(api_settings)) as test_client:
        yield test_client


def refresh(client: TestClient) -> None:
    client.app.state.container.render_jobs.poll_once()  # type: ignore[attr-defined]


def test_opencue_job_submitted_through_the_api_runs_to_success(
    fake_cuebot: FakeCuebot, client: TestClient
) -> None:
    created = client.post("/jobs", json=JOB, headers=bearer())
    assert created.status_code == 201, created.text
    job = created.json()
    assert job["farm"] == "opencue" and job["status"] == "queued"
    assert job["farm_job_id"] in fake_cuebot.state.jobs
    for _ in range(5):
        fake_cuebot.step(job["farm_job_id"])
    refresh(client)
    done = client.get(f"/jobs/{job['id']}").json()
    assert done["status"] == "succeeded" and done["progress"] == 100.0
    assert done["frame_counts"]["total"] == 12 and done["frame_counts"]["succeeded"] == 12
    farms = {farm["name"]: farm for farm in client.get("/farms").json()["farms"]}
    assert farms["opencue"]["available"] is True
    listed = client.get("/jobs", params={"farm": "opencue"}).json()["jobs"]
    assert [j["id"] for j in listed] == [job["id"]]
    metrics = client.get("/metrics", headers=bearer())
    assert metrics.status_code == 200, metrics.text
    assert metrics.json()["render"]["by_farm"] == {"opencue": 1}


def test_opencue_job_cancelled_through_the_api_is_killed_on_cuebot(
    fake_cuebot: FakeCuebot, client: TestClient
) -> None:
    job = client.post("/jobs", json=JOB, headers=bearer()).json()
    fake_cuebot.step(job["farm_job_id"])
    cancelled = client.post(
        f"/jobs/{job['id']}/cancel", json={"reason": "wrong take"}, headers=bearer()
    )
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    assert fake_cuebot.job(job["farm_job_id"]).kill_reason == "OnePiece: wrong take"


def test_unknown_show_submission_is_a_clear_422(
    fake_cuebot: FakeCuebot, opencue_settings: MakeSettings
) -> None:
    settings = opencue_settings(
        fake_cuebot.address, OPENCUE_DEFAULT_SHOW="ghost", TRAFALGAR_DASHBOARD_TOKEN=ADMIN
    )
    with TestClient(create_app(settings)) as client:
        response = client.post("/jobs", json=JOB, headers=bearer())
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "adapter.job_rejected"
    assert "show 'ghost' does not exist" in error["message"]


def test_cuebot_down_at_submit_is_a_503_envelope(
    fake_cuebot: FakeCuebot, client: TestClient
) -> None:
    fake_cuebot.stop()
    response = client.post("/jobs", json=JOB, headers=bearer())
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "adapter.unavailable"


def test_a_burst_of_farm_calls_to_a_slow_cuebot_never_starves_the_reads(
    fake_cuebot: FakeCuebot, opencue_settings: MakeSettings
) -> None:
    """More submits, cancels and farm lists than FastAPI has request threads (40),
    all waiting on a Cuebot that does not answer: each read still gets a thread
    and answers at once, and every call completes once the Cuebot does."""
    settings = opencue_settings(
        fake_cuebot.address,
        OPENCUE_DEFAULT_SHOW="testing",
        OPENCUE_TIMEOUT_SECONDS="30",
        TRAFALGAR_DASHBOARD_TOKEN=ADMIN,
        ONEPIECE_RENDER_POLL_SECONDS="300",
    )
    answers: dict[str, list[int]] = {"submit": [], "cancel": [], "farms": []}
    with (
        serve_app(create_app(settings)) as server,
        httpx.Client(base_url=server.url, timeout=10) as reads,
    ):
        running = reads.post("/jobs", json=JOB, headers=bearer()).json()["id"]
        fake_cuebot.hold()

        def call(kind: str, index: int) -> None:
            with httpx.Client(base_url=server.url, timeout=60, headers=bearer()) as http:
                if kind == "submit":
                    body = {**JOB, "scene": f"/shows/testing/sh{index:03d}/lgt.blend"}
                    response = http.post("/jobs", json=body)
                elif kind == "cancel":
                    response = http.post(f"/jobs/{running}/cancel", json={"reason": "burst"})
                else:
                    response = http.get("/farms")
            answers[kind].append(response.status_code)

        burst = [
            threading.Thread(target=call, args=(kind, index))
            for index in range(16)
            for kind in answers
        ]
        try:
            for thread in burst:
                thread.start()
            for path in ("/jobs", f"/jobs/{running}", "/jobs/none-such", "/runs"):
                started = time.monotonic()
                # Before: every request thread waited on the Cuebot, and so did this.
                response = reads.get(path)
                assert response.status_code in (200, 404), response.text
                assert time.monotonic() - started < 5
            assert answers == {kind: [] for kind in answers}  # all still waiting on the Cuebot
        finally:
            fake_cuebot.release()
            for thread in burst:
                thread.join(60)
    assert answers == {"submit": [201] * 16, "cancel": [200] * 16, "farms": [200] * 16}
