"""Issue 21 item 13: a queued local-farm job costs a record, not a process. Fifty
jobs submitted at once to a real server start at most ``max_concurrency``
runners, and a server restart mid-queue neither loses nor duplicates work."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from onepiece.config import Settings
from onepiece.web.app import create_app
from tests.integration.render.local_farm_support import (
    ledger,
    probe_command,
    runner_pids,
)
from tests.web_server import serve_app

TOKEN = "queue-admin-8e1f3a"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}
JOBS = 50
MAX_CONCURRENCY = 2


def test_fifty_queued_jobs_start_at_most_max_concurrency_runners_across_a_restart(
    tmp_path: Path,
) -> None:
    settings = Settings(
        data_dir=tmp_path / "data",
        trafalgar={"dashboard_token": TOKEN},
        render={"poll_seconds": 0.2, "max_concurrency": MAX_CONCURRENCY,
                "commands": {"probe": probe_command(tmp_path, 0.2)}},
    )  # fmt: skip
    farm_root = settings.data_dir / "farm" / "local"
    scenes = []
    for n in range(JOBS):
        scene = tmp_path / "scenes" / f"s{n:02d}.txt"
        scene.parent.mkdir(exist_ok=True)
        scene.write_text("probe")
        scenes.append(scene)

    def submit(url: str, scene: Path) -> str:
        body = {"dcc": "probe", "scene": str(scene), "frames": "1",
                "output": str(tmp_path / "o" / f"{scene.stem}.#.png")}  # fmt: skip
        answer = httpx.post(f"{url}/jobs", json=body, headers=ADMIN, timeout=60)
        assert answer.status_code == 201, answer.text
        job_id: str = answer.json()["id"]
        return job_id

    most = 0
    with serve_app(create_app(settings)) as server:
        with ThreadPoolExecutor(8) as pool:
            ids = list(pool.map(lambda s: submit(server.url, s), scenes))
        for _ in range(10):
            most = max(most, len(runner_pids(farm_root)))
            time.sleep(0.1)
    assert len(ledger(tmp_path)) < JOBS  # the restart comes mid-queue
    with serve_app(create_app(settings)) as server:  # the same data: a restarted server
        deadline = time.monotonic() + 120
        jobs: list[dict[str, object]] = []
        while time.monotonic() < deadline:
            most = max(most, len(runner_pids(farm_root)))
            jobs = httpx.get(f"{server.url}/jobs", params={"limit": 1000}).json()["jobs"]
            if all(j["status"] == "succeeded" for j in jobs):
                break
            time.sleep(0.1)
    assert sorted(j["id"] for j in jobs) == sorted(ids)
    assert {j["status"] for j in jobs} == {"succeeded"}
    # At most MAX_CONCURRENCY runners hold a slot (render); one more may be seen
    # for a moment: a runner that has just freed its slot re-checks the queue,
    # finds the slot taken and exits. One runner per queued job would be ~50.
    assert most <= MAX_CONCURRENCY + 1
    rendered = sorted(line.split()[0] for line in ledger(tmp_path))
    assert rendered == sorted(str(s) for s in scenes)  # every job once: none lost, none twice
