"""Issue 21 items 5 and 6: what ``onepiece serve`` does with the file at
``TRAFALGAR_RENDER_JOBS_PATH``: a JSON history is imported once, any other file
is refused in one line, a damaged SQLite history is reported before the server
listens, ``/health`` says degraded and nothing is written into the file."""

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
from onepiece.state.render_jobs import RenderJobStore

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


@pytest.mark.parametrize("damage", [_empty, _truncate, _scribble])
def test_a_damaged_history_is_reported_before_listening_and_never_written(
    isolated_env: Path, damage: Callable[[Path], None], tmp_path: Path
) -> None:
    path = tmp_path / "render-jobs.db"
    _history(path)
    damage(path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    with _serve(path) as (url, before):
        assert "damaged" in before and str(path) in before
        assert "Traceback" not in before
        health = httpx.get(f"{url}/health", timeout=10).json()
        assert health["status"] == "degraded"
        assert "damaged" in health["render"]["message"]
        listed = httpx.get(f"{url}/jobs", timeout=10)
        assert listed.status_code == 503
        assert listed.json()["error"]["code"] == "render.history_damaged"
        body = {"dcc": "builtin", "scene": str(path), "frames": "1", "farm": "local",
                "output": str(tmp_path / "o.#.png")}  # fmt: skip
        submitted = httpx.post(f"{url}/jobs", json=body, headers=ADMIN, timeout=10)
        assert submitted.status_code == 503, submitted.text
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
        assert "imported 2 render jobs" in before and "Traceback" not in before
        # With the token: anonymous clients see no user names (docs/api.md).
        answer = httpx.get(f"{url}/jobs", headers=ADMIN, timeout=10).json()
        jobs = {j["id"]: j for j in answer["jobs"]}
        assert set(jobs) == {"stub-1", "a1b2c3"}
        assert jobs["stub-1"]["status"] == "succeeded" and jobs["stub-1"]["priority"] == 60
        assert jobs["a1b2c3"]["user"] == "ana"
        assert httpx.get(f"{url}/health", timeout=10).json()["status"] == "ok"
    assert path.read_bytes().startswith(b"SQLite format 3\x00")
    assert json.loads(path.with_name(path.name + ".imported.json").read_text())[0] == documented
    with _serve(path) as (url, before):  # once: the second start finds SQLite
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
