"""Issue 21 item 11: a cancelled job's unrendered frames are ``cancelled``, never
``dead``/``failed`` (which the Operations page shows as "Failed"), on a real server."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from onepiece.config import Settings
from onepiece.web.app import create_app
from tests.web_server import serve_app

TOKEN = "cancel-admin-64d2aa"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}


@pytest.mark.parametrize(("farm", "frames"), [("local", "1-12"), ("mock", "1-30")])
def test_cancelled_jobs_count_their_unrendered_frames_as_cancelled(
    tmp_path: Path, make_scene: Callable[..., Path], farm: str, frames: str
) -> None:
    settings = Settings(
        data_dir=tmp_path / "data",
        trafalgar={"dashboard_token": TOKEN},
        render={"poll_seconds": 0.05, "mock_enabled": True, "max_concurrency": 1},
    )
    output = str(tmp_path / "o" / "f.####.png")
    body = {"dcc": "builtin", "scene": str(make_scene(delay=5)), "frames": frames,
            "farm": farm, "chunk_size": 2, "output": output}  # fmt: skip
    with serve_app(create_app(settings)) as server:
        job_id = httpx.post(f"{server.url}/jobs", json=body, headers=ADMIN).json()["id"]
        cancelled = httpx.post(f"{server.url}/jobs/{job_id}/cancel", headers=ADMIN, timeout=30)
        assert cancelled.status_code == 200, cancelled.text
        job = httpx.get(f"{server.url}/jobs/{job_id}").json()
    counts = job["frame_counts"]
    assert job["status"] == "cancelled"
    assert counts["dead"] == 0 and counts["failed"] == 0
    assert counts["waiting"] == 0 and counts["running"] == 0
    assert counts["cancelled"] == counts["total"] - counts["succeeded"] > 0
