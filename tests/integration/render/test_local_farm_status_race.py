"""A job whose runner finishes while ``status()`` is looking is reported with
its outcome, never as "the local runner exited unexpectedly".

``status()`` reads the job's state, then asks whether a runner still holds the
job. A runner writes the outcome and then lets go, so a look that straddles
the two saw "running" and then no runner: the CI run of stop 26 recorded such
a job as failed. Many short jobs, watched without pause from two threads,
cross that moment many times."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from onepiece.adapters.farms.local.farm import LocalFarm
from onepiece.domain.render import JobRequest, JobStatus
from tests.integration.render.local_farm_support import probe_command

JOBS = 30


def test_a_runner_finishing_during_a_status_look_is_never_reported_failed(
    tmp_path: Path,
) -> None:
    farm = LocalFarm(
        tmp_path / "farm", max_concurrency=2, commands={"probe": probe_command(tmp_path, 0)}
    )
    ids = []
    for n in range(JOBS):
        scene = tmp_path / f"s{n:02d}.txt"
        scene.write_text("probe")
        request = JobRequest(
            dcc="probe", scene=str(scene), frames="1", output=str(tmp_path / "o.#.png")
        )
        ids.append(farm.submit(request))
        farm.start(ids[-1])
    wrong: list[str] = []
    done = threading.Event()

    def watch() -> None:
        watcher = LocalFarm(
            farm.root, max_concurrency=2, commands=farm.templates
        )  # another process's view
        while not done.is_set():
            for job_id in ids:
                state = watcher.status(job_id)
                if state.status is JobStatus.failed:
                    wrong.append(f"{job_id}: {state.message}")

    watchers = [threading.Thread(target=watch) for _ in range(2)]
    for thread in watchers:
        thread.start()
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            states = [farm.status(job_id) for job_id in ids]
            if all(s.status.finished for s in states):
                break
            time.sleep(0.05)
    finally:
        done.set()
        for thread in watchers:
            thread.join()
    assert not wrong, wrong[:3]
    assert {farm.status(job_id).status for job_id in ids} == {JobStatus.succeeded}
