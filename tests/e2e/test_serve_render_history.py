"""Issue 21 items 5 and 6, issue 15 item 6: the render history lives in the
state database; what ``onepiece serve`` does with an old history file at
``TRAFALGAR_RENDER_JOBS_PATH``: a SQLite or JSON history is imported once and
the import reported, a damaged one or any other file is refused in one line
before the server listens, and nothing is ever written into the file."""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from onepiece.domain.render import JobRequest, JobStatus, RenderJob
from tests.legacy_render_history import RenderJobStore

TOKEN = "history-admin-2f9e41"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}


def _env(path: Path) -> dict[str, str]:
    return {**os.environ, "TRAFALGAR_DASHBOARD_TOKEN": TOKEN,
            "TRAFALGAR_RENDER_JOBS_PATH": str(path)}  # fmt: skip


@contextmanager
def _serve(path: Path) -> Iterator[tuple[str, str]]:
    """(url, everything printed before the server said it listens)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "onepiece", "serve", "--port", "0"],
        env=_env(path), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    lines: list[str] = []
    try:
        assert process.stderr is not None
        for line in process.stderr:
            lines.append(line)
            if "listening on" in line:
                break
        found = re.search(r"listening on (http://127\.0\.0\.1:\d+)", "".join(lines))
        assert found, "".join(lines)
        yield found.group(1), "".join(lines[:-1])
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=20)


def _history(path: Path, jobs: int = 300) -> None:
    store = RenderJobStore(path, history_limit=10_000, retention_hours=1e6)
    now = datetime.now(UTC)
    for n in range(jobs):
        request = JobRequest("builtin", f"/scenes/{n}.json", "1-10", "/o/f.####.png", "mock")
        store.add(RenderJob(f"job{n:05d}", request, f"mock-{n}", JobStatus.succeeded, now, now))
    store.close()


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _truncate(path: Path) -> None:
    with path.open("r+b") as file:
        file.truncate(path.stat().st_size // 2)


def _scribble(path: Path) -> None:
    size = path.stat().st_size
    with path.open("r+b") as file:
        file.seek(size // 2)
        file.write(random.Random(7).randbytes(8192))


def test_a_sqlite_history_is_imported_once_and_reported(isolated_env: Path, tmp_path: Path) -> None:
    path = tmp_path / "render-jobs.db"
    _history(path, jobs=30)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    with _serve(path) as (url, before):
        assert f"imported 30 render_jobs from {path}" in before and "Traceback" not in before
        listed = httpx.get(f"{url}/jobs", params={"limit": 100}, timeout=10).json()["jobs"]
        assert len(listed) == 30 and listed[0]["id"] == "job00029"  # newest first, as before
        health = httpx.get(f"{url}/health", headers=ADMIN, timeout=10).json()
        history = health["render"]["history"]
        assert history["size"] == 30 and history["path"].endswith("state.db")
    with _serve(path) as (url, before):  # once: the second start imports nothing
        assert "imported" not in before
        assert len(httpx.get(f"{url}/jobs", params={"limit": 100}, timeout=10).json()["jobs"]) == 30
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest  # only read


@pytest.mark.parametrize("damage", [_empty, _truncate, _scribble])
def test_a_damaged_history_is_refused_in_one_line_and_never_written(
    isolated_env: Path, damage: Callable[[Path], None], tmp_path: Path
) -> None:
    path = tmp_path / "render-jobs.db"
    _history(path)
    damage(path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    result = subprocess.run(
        [sys.executable, "-m", "onepiece", "serve", "--port", "0"],
        env=_env(path), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 3, result.stderr
    assert "damaged" in result.stderr or "truncated" in result.stderr or "empty" in result.stderr
    assert str(path) in result.stderr and "listening" not in result.stderr
    assert "Traceback" not in result.stderr
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest  # nothing written


def test_a_json_history_is_imported_once_and_reported(isolated_env: Path, tmp_path: Path) -> None:
    path = tmp_path / "render-jobs.json"
    recent = datetime.now(UTC).isoformat()  # inside the retention window
    documented = {"job_id": "stub-1", "status": "completed", "farm": "mock", "farm_type": "stub",
                  "message": None, "created_at": recent,
                  "request": {"dcc": "maya", "scene": "/s.ma", "frames": "1-4",
                              "output": "/o.####.exr", "priority": 60}}  # fmt: skip
    ours = {"id": "a1b2c3", "farm": "local", "farm_job_id": "local-x", "status": "failed",
            "dcc": "builtin", "scene": "/s.json", "frames": "1", "output": "/o.#.png",
            "priority": 50, "chunk_size": 1, "user": "ana",
            "submitted_at": recent}  # fmt: skip
    path.write_text(json.dumps([documented, ours]))
    with _serve(path) as (url, before):
        assert f"imported 2 render_jobs from {path}" in before and "Traceback" not in before
        # With the token: anonymous clients see no user names (docs/api.md).
        answer = httpx.get(f"{url}/jobs", headers=ADMIN, timeout=10).json()
        jobs = {j["id"]: j for j in answer["jobs"]}
        assert set(jobs) == {"stub-1", "a1b2c3"}
        assert jobs["stub-1"]["status"] == "succeeded" and jobs["stub-1"]["priority"] == 60
        assert jobs["a1b2c3"]["user"] == "ana"
        assert httpx.get(f"{url}/health", timeout=10).json()["status"] == "ok"
    assert json.loads(path.read_text())[0] == documented  # only read, never rewritten
    with _serve(path) as (url, before):  # once: the second start imports nothing
        assert "imported" not in before
        assert len(httpx.get(f"{url}/jobs", timeout=10).json()["jobs"]) == 2


@pytest.mark.parametrize("content", [b"hello, not a history\n", b'{"jobs": 3}', b"\x00" * 64])
def test_any_other_file_is_refused_in_one_line(
    isolated_env: Path, tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "render-jobs.db"
    path.write_bytes(content)
    result = subprocess.run(
        [sys.executable, "-m", "onepiece", "serve", "--port", "0"],
        env=_env(path), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 3
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "render job history" in result.stderr and "listening" not in result.stderr
    assert path.read_bytes() == content
