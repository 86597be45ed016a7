"""Issue 21 item 7: /health's ``last_compaction_at`` moves when jobs are pruned,
on a real server (not only on the 600 s maintenance tick)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from onepiece.config import Settings
from onepiece.web.app import create_app
from tests.web_server import serve_app

TOKEN = "prune-admin-1c77d0"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}


def _history(url: str) -> dict[str, Any]:
    history: dict[str, Any] = httpx.get(f"{url}/health").json()["render"]["history"]
    return history


def test_pruning_a_job_moves_last_compaction_at(
    tmp_path: Path, make_scene: Callable[..., Path]
) -> None:
    settings = Settings(
        data_dir=tmp_path / "data",
        trafalgar={"dashboard_token": TOKEN, "render_jobs_history_limit": 1},
        render={"poll_seconds": 60, "mock_enabled": True},
    )
    body = {"dcc": "builtin", "scene": str(make_scene()), "frames": "1-50", "farm": "mock",
            "output": str(tmp_path / "o.####.png")}  # fmt: skip
    with serve_app(create_app(settings)) as server:
        first = httpx.post(f"{server.url}/jobs", json=body, headers=ADMIN).json()["id"]
        httpx.post(f"{server.url}/jobs/{first}/cancel", headers=ADMIN)  # finished: prunable
        before = _history(server.url)
        assert before["pruned_by_limit"] == 0
        httpx.post(f"{server.url}/jobs", json=body, headers=ADMIN)  # over the limit of 1
        after = _history(server.url)
    assert after["pruned_by_limit"] == 1
    assert before["last_compaction_at"] is not None and after["last_compaction_at"] is not None
    moved = datetime.fromisoformat(after["last_compaction_at"])
    assert moved > datetime.fromisoformat(before["last_compaction_at"])
