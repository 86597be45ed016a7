"""Issue 21 item 14: every list route pages past its first page with an opaque
cursor (``limit`` + ``cursor``; ``next_cursor`` and a ``Link: rel="next"``
header), over a real server, with more than one page of data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from onepiece.atomicio import write_json
from onepiece.config import Settings
from onepiece.domain.render import JobRequest, JobStatus, RenderJob
from onepiece.web.app import create_app
from tests.legacy_render_history import RenderJobStore
from tests.web_server import serve_app

JOBS = 2_500
RUNS = 250


def _all_pages(url: str, key: str, params: dict[str, Any]) -> list[list[dict[str, Any]]]:
    pages = []
    cursor = None
    while True:
        answer = httpx.get(url, params={**params, **({"cursor": cursor} if cursor else {})})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        pages.append(body[key])
        cursor = body.get("next_cursor")
        if cursor is None:  # the last page: the answer's old shape exactly
            assert "link" not in answer.headers
            return pages
        link = answer.headers["link"]
        assert link.endswith('; rel="next"') and f"cursor={cursor}" in link


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    settings = Settings(data_dir=tmp_path / "data", render={"poll_seconds": 60})
    store = RenderJobStore(settings.render_jobs_path, history_limit=10_000, retention_hours=1e6)
    now = datetime.now(UTC)
    jobs = []
    for n in range(JOBS):
        status = JobStatus.failed if n % 5 == 0 else JobStatus.succeeded
        request = JobRequest("builtin", f"/s/{n}.json", "1", "/o/f.#.png", "mock")
        jobs.append(RenderJob(f"job{n:05d}", request, f"mock-{n}", status, now, now))
    store.add_many(jobs)
    store.close()
    start = datetime(2026, 1, 1, tzinfo=UTC)
    runs = [
        {
            "id": f"run{n:04d}",
            "status": "completed" if n % 2 else "failed",
            "started_at": (start + timedelta(minutes=n // 3)).isoformat(),
        }
        for n in range(RUNS)
    ]  # fmt: skip  (three runs share each start time)
    write_json(settings.ingest_registry_path, {"runs": runs})
    return settings


def test_jobs_and_runs_page_through_everything_newest_first(settings: Settings) -> None:
    with serve_app(create_app(settings)) as server:
        pages = _all_pages(f"{server.url}/jobs", "jobs", {"limit": 1000})
        assert [len(p) for p in pages] == [1000, 1000, 500]
        ids = [j["id"] for page in pages for j in page]
        assert ids == [f"job{n:05d}" for n in reversed(range(JOBS))]  # all, once, newest first
        failed = _all_pages(f"{server.url}/jobs", "jobs", {"limit": 300, "status": "failed"})
        assert sum(len(p) for p in failed) == JOBS // 5
        assert {j["status"] for p in failed for j in p} == {"failed"}
        default = httpx.get(f"{server.url}/jobs").json()  # no paging asked: same shape as ever
        assert len(default["jobs"]) == 100 and default["next_cursor"]

        run_pages = _all_pages(f"{server.url}/runs", "runs", {"limit": 100})
        assert [len(p) for p in run_pages] == [100, 100, 50]
        run_ids = [r["id"] for page in run_pages for r in page]
        assert sorted(run_ids) == [f"run{n:04d}" for n in range(RUNS)]
        completed = _all_pages(f"{server.url}/runs", "runs", {"limit": 40, "status": "completed"})
        assert sum(len(p) for p in completed) == RUNS // 2


@pytest.mark.parametrize("route", ["/jobs", "/runs"])
@pytest.mark.parametrize("cursor", ["nope!", "e30", "WzFd" * 3, "WyJhIl0"])
def test_a_cursor_the_server_did_not_issue_is_a_404(
    settings: Settings, route: str, cursor: str
) -> None:
    with serve_app(create_app(settings)) as server:
        answer = httpx.get(f"{server.url}{route}", params={"cursor": cursor})
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "resource.not_found"
