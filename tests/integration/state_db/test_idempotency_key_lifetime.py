"""Idempotency keys live a day, not for ever, and a key whose job has left the
history is refused with a reason (409), never answered with a 404 on a POST
nor with a second render; both backends."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from onepiece.config import Settings
from onepiece.domain.render import FrameCounts, JobRequest, JobStatus, RenderJob
from onepiece.state.db.idempotency import SqlIdempotencyStore
from onepiece.state.db.render_history import IDEMPOTENCY_KEY_HOURS, SqlRenderJobStore
from onepiece.web.app import create_app
from tests.web_server import serve_app

TOKEN = "keys-admin-0c9e44"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}


def _keys(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return sorted(connection.scalars(sa.text("SELECT key FROM idempotency_keys")))


def _job(job_id: str) -> RenderJob:
    at = datetime.now(UTC)
    request = JobRequest("builtin", "/s.json", "1-2", "/o.####.png", "mock")
    return RenderJob(job_id, request, f"m-{job_id}", JobStatus.succeeded, at, at, FrameCounts(2))


def test_keys_are_forgotten_a_day_after_their_claim(engine: Engine) -> None:
    day = IDEMPOTENCY_KEY_HOURS * 3600
    for key, age in [("old-bound", day + 60), ("old-unbound", day + 1), ("fresh", 60),
                     ("almost-a-day", day - 60)]:  # fmt: skip
        store = SqlIdempotencyStore(engine, clock=lambda age=age: time.time() - age)
        store.claim(key, "hash", f"job-{key}")
    assert len(_keys(engine)) == 4
    history = SqlRenderJobStore(engine, history_limit=100, retention_hours=1000)
    history.add(_job("any"))  # a write's retention look forgets them
    assert _keys(engine) == ["almost-a-day", "fresh"]


def test_a_retry_after_its_job_left_the_history_is_refused_with_a_reason(
    tmp_path: Path, db_url: str
) -> None:
    settings = Settings(
        data_dir=tmp_path / "data",
        trafalgar={"dashboard_token": TOKEN, "render_jobs_history_limit": 3},
        render={"poll_seconds": 0.2, "mock_enabled": True},  # mock jobs finish in ~1 s
        database={"url": db_url},
    )
    scene = tmp_path / "scene.json"
    scene.write_text(json.dumps({"width": 16, "height": 8}))

    def body(frames: str) -> dict[str, str]:
        return {"dcc": "builtin", "scene": str(scene), "frames": frames, "farm": "mock",
                "output": str(tmp_path / "f.####.png")}  # fmt: skip

    with serve_app(create_app(settings)) as server:
        post = f"{server.url}/jobs"
        first = httpx.post(post, json=body("1-2"), headers={**ADMIN, "Idempotency-Key": "k-1"})
        assert first.status_code == 201
        for _ in range(4):  # the mock farm finishes them; the limit drops the first
            assert httpx.post(post, json=body("1"), headers=ADMIN).status_code == 201
        deadline = time.monotonic() + 30
        while httpx.get(f"{post}/{first.json()['id']}", headers=ADMIN).status_code != 404:
            assert time.monotonic() < deadline, "the first job never left the history"
            time.sleep(0.2)
            httpx.post(post, json=body("1"), headers=ADMIN)
        before = {job["id"] for job in httpx.get(post, headers=ADMIN).json()["jobs"]}
        retry = httpx.post(post, json=body("1-2"), headers={**ADMIN, "Idempotency-Key": "k-1"})
        assert retry.status_code == 409, retry.text
        assert retry.json()["error"]["code"] == "request.idempotency_key_reused"
        assert "no longer in the render history" in retry.json()["error"]["message"]
        after = {job["id"] for job in httpx.get(post, headers=ADMIN).json()["jobs"]}
        assert after <= before  # no second render (the poller may prune more meanwhile)
