"""Issue 15 item 4: two hosts (two data directories, so two local farms) on one
state database. Host B's poller never marks host A's running local job as
failed (its own farm does not know it), and a cancel through B is carried out
by A. Real local farms and the built-in renderer; the poll rounds are called
directly so each step is deterministic."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

from onepiece.bootstrap import Container
from onepiece.config import Settings
from onepiece.domain.render import JobStatus
from onepiece.services.render.jobs import RenderJobService


def _host(tmp_path: Path, name: str, url: str) -> Container:
    return Container(Settings(data_dir=tmp_path / name, database={"url": url}))


def _until(service: RenderJobService, job_id: str, done: Callable[[JobStatus], bool]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        service.poll_once()
        if done(service.get(job_id).status):
            return
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} stuck in {service.get(job_id).status}")


def test_only_the_owning_host_checks_and_stops_its_local_jobs(tmp_path: Path, db_url: str) -> None:
    scene = tmp_path / "scene.json"
    scene.write_text(json.dumps({"width": 16, "height": 8, "delay": 0.5}))
    host_a, host_b = _host(tmp_path, "a", db_url), _host(tmp_path, "b", db_url)
    try:
        a, b = host_a.render_jobs, host_b.render_jobs
        assert a.host != b.host
        request = a.request(dcc="builtin", scene=str(scene), frames="1-40",
                            output=str(tmp_path / "out" / "f.####.png"), farm="local")  # fmt: skip
        job = a.submit(request)
        assert job.host == a.host
        _until(a, job.id, lambda status: status is JobStatus.running)

        for _ in range(3):
            b.poll_once()  # B's farm has no such job: it must leave it alone
        assert b.get(job.id).status is JobStatus.running

        asked = b.cancel(job.id, "stop from host b")
        assert asked.cancel_requested == "stop from host b" and not asked.status.finished
        _until(a, job.id, lambda status: status.finished)
        assert a.get(job.id).status is JobStatus.cancelled
    finally:
        host_a.close()
        host_b.close()
