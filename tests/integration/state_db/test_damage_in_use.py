"""Issue 15 item 5, after start-up: a SQLite state database damaged while the
service runs is reported on /health, refused from then on, and never written
again (no checkpoint of the WAL into it at stop), whether its pages are
overwritten, or the file is emptied, deleted or replaced."""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from onepiece.config import Settings
from onepiece.domain.render import FrameCounts, JobRequest, JobStatus, RenderJob
from onepiece.state.db.engine import create_state_engine
from onepiece.state.db.migrate import upgrade
from onepiece.state.db.render_history import SqlRenderJobStore
from onepiece.web.app import create_app
from tests.web_server import LiveServer, serve_app

TOKEN = "damage-admin-7d21f0"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}


def _filled(path: Path) -> None:
    """Jobs filling many more pages than a connection's page cache, checkpointed."""
    engine = create_state_engine(f"sqlite:///{path}")
    upgrade(engine)
    store = SqlRenderJobStore(engine, history_limit=100_000, retention_hours=1000)
    at = datetime.now(UTC)
    for n in range(2500):
        request = JobRequest("builtin", "/s/" + "x" * 3000, "1-10", "/o.####.png", "mock")
        store.add(
            RenderJob(f"j{n}", request, f"m-{n}", JobStatus.succeeded, at, at, FrameCounts(10))
        )
    engine.dispose()  # the last connection closing checkpoints the WAL into the file


def _overwrite_pages(path: Path) -> None:
    size = path.stat().st_size
    with path.open("r+b") as handle:
        handle.seek(size // 3)
        handle.write(random.Random(15).randbytes(size // 3))


def _emptied(path: Path) -> None:
    path.write_bytes(b"")


def _deleted(path: Path) -> None:
    path.unlink()


def _replaced(path: Path) -> None:
    other = path.with_name("other.db")
    other.write_bytes(path.read_bytes())
    other.replace(path)


def _every_job(server: LiveServer) -> httpx.Response:
    """Page through the whole history: reads every page of the jobs' table."""
    cursor = None
    while True:
        params = {"limit": 1000, **({"cursor": cursor} if cursor else {})}
        answer = httpx.get(f"{server.url}/jobs", params=params, headers=ADMIN, timeout=60)
        if answer.status_code != 200 or not answer.json().get("next_cursor"):
            return answer
        cursor = answer.json()["next_cursor"]


def _digest(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


@pytest.mark.parametrize(
    ("damage", "said"),
    [(_overwrite_pages, "damaged"), (_emptied, "emptied"), (_deleted, "deleted"),
     (_replaced, "replaced")],
)  # fmt: skip
def test_damage_while_in_use_is_reported_and_nothing_more_is_written(
    tmp_path: Path, damage: Callable[[Path], None], said: str
) -> None:
    path = tmp_path / "data" / "state.db"
    path.parent.mkdir(parents=True)
    _filled(path)
    settings = Settings(
        data_dir=tmp_path / "data",
        trafalgar={"dashboard_token": TOKEN},
        render={"poll_seconds": 60, "mock_enabled": True},
    )
    scene = tmp_path / "scene.json"
    scene.write_text(json.dumps({"width": 16, "height": 8}))
    body = {"dcc": "builtin", "scene": str(scene), "frames": "1-2", "farm": "mock",
            "output": str(tmp_path / "f.####.png")}  # fmt: skip
    with serve_app(create_app(settings)) as server:
        assert httpx.post(f"{server.url}/jobs", json=body, headers=ADMIN).status_code == 201
        assert httpx.get(f"{server.url}/health").json()["status"] == "ok"
        damage(path)
        after_damage = _digest(path)
        _every_job(server)  # meets the damage, or not: the next write must see it either way
        refused = httpx.post(f"{server.url}/jobs", json=body, headers=ADMIN)
        assert refused.status_code == 503, refused.text
        assert refused.json()["error"]["code"] == "state.unavailable"
        health = httpx.get(f"{server.url}/health", headers=ADMIN).json()
        assert health["status"] == "degraded"
        assert said in health["database"]["reason"], health["database"]
        assert httpx.get(f"{server.url}/health").json()["status"] == "degraded"  # sticky
    assert _digest(path) == after_damage  # not written, not checkpointed into, not recreated
