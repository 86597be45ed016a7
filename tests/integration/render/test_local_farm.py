"""The local farm renders real frames in real processes, and cancels them."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import av
import pytest

from onepiece.adapters.farms.local.farm import LocalFarm
from onepiece.domain.render import FarmJobState, JobRequest, JobStatus
from onepiece.errors import JobNotFound, JobRejected
from onepiece.processes import process_alive

WAIT_SECONDS = 60


def _wait(farm: LocalFarm, farm_job_id: str, until: Callable[[FarmJobState], bool]) -> FarmJobState:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        state = farm.status(farm_job_id)
        if until(state):
            return state
        time.sleep(0.05)
    raise AssertionError(f"local job never reached the expected state: {farm.status(farm_job_id)}")


def _finished(state: FarmJobState) -> bool:
    return state.status.finished


def _pid_gone(pid: int) -> bool:
    """Gone, or a zombie nobody has reaped yet (it runs nothing either way)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat.rsplit(")", 1)[-1].split()[0] in ("Z", "X")


def test_renders_every_frame_as_a_real_png(tmp_path: Path, make_scene: Callable[..., Path]) -> None:
    farm = LocalFarm(tmp_path / "farm", max_concurrency=2)
    output = tmp_path / "renders" / "beauty.####.png"
    request = JobRequest("builtin", str(make_scene()), "1-7,20-24x2", str(output), chunk_size=3)
    farm_job_id = farm.submit(request)
    state = _wait(farm, farm_job_id, _finished)
    assert state.status is JobStatus.succeeded, state.message
    assert state.frames.total == 10 and state.frames.succeeded == 10
    names = sorted(p.name for p in output.parent.iterdir())
    assert names == [f"beauty.{f:04d}.png" for f in (1, 2, 3, 4, 5, 6, 7, 20, 22, 24)]
    with av.open(str(output.parent / "beauty.0022.png")) as container:
        frame = next(container.decode(video=0))
    assert (frame.width, frame.height) == (16, 8)
    chunks = state.extra["chunks"]
    assert [c["count"] for c in chunks] == [3, 3, 1, 3]  # 1-3, 4-6, 7, 20-24x2
    log = Path(state.extra["job_dir"]) / chunks[-1]["log"]
    assert "frame 24 done" in log.read_text()


def test_progress_is_reported_per_frame_while_rendering(
    tmp_path: Path, make_scene: Callable[..., Path]
) -> None:
    farm = LocalFarm(tmp_path / "farm", max_concurrency=1)
    request = JobRequest(
        "builtin", str(make_scene(delay=0.2)), "1-10", str(tmp_path / "o.####.png"), chunk_size=10
    )
    farm_job_id = farm.submit(request)
    state = _wait(farm, farm_job_id, lambda s: 0 < s.frames.succeeded < 10 or s.status.finished)
    assert state.status is JobStatus.running  # frames done inside a still-running chunk
    assert state.frames.running == 10 - state.frames.succeeded
    farm.cancel(farm_job_id)


def test_a_failing_chunk_fails_the_job_and_points_at_its_log(
    tmp_path: Path, make_scene: Callable[..., Path]
) -> None:
    farm = LocalFarm(tmp_path / "farm", max_concurrency=2)
    scene = make_scene(fail_on=[5])
    farm_job_id = farm.submit(
        JobRequest("builtin", str(scene), "1-8", str(tmp_path / "o.####.png"), chunk_size=4)
    )
    state = _wait(farm, farm_job_id, _finished)
    assert state.status is JobStatus.failed
    assert "1 of 2 chunks failed" in (state.message or "") and "chunk-0001.log" in state.message
    assert state.frames.succeeded == 4 and state.frames.failed == 4


def test_cancel_kills_every_renderer_process_group(
    tmp_path: Path, make_scene: Callable[..., Path]
) -> None:
    farm = LocalFarm(tmp_path / "farm", max_concurrency=2)
    scene = make_scene(delay=5)  # each frame "renders" for 5 s: plenty of time to cancel
    farm_job_id = farm.submit(
        JobRequest("builtin", str(scene), "1-40", str(tmp_path / "o.####.png"), chunk_size=10)
    )
    running = _wait(
        farm,
        farm_job_id,
        lambda s: sum(1 for c in s.extra["chunks"] if c["status"] == "running") == 2,
    )
    pids = [c["pid"] for c in running.extra["chunks"] if c["status"] == "running"]
    assert all(process_alive(pid, "render_builtin") for pid in pids)
    farm.cancel(farm_job_id, "wrong camera")
    state = farm.status(farm_job_id)
    assert state.status is JobStatus.cancelled
    assert state.message == "cancelled: wrong camera"
    assert all(_pid_gone(pid) for pid in pids)
    # Issue 21 item 11: unrendered frames of a cancelled job are cancelled, not dead.
    assert state.frames.cancelled == 40 and state.frames.dead == 0 and state.frames.running == 0


def test_another_process_view_of_the_farm_can_cancel(
    tmp_path: Path, make_scene: Callable[..., Path]
) -> None:
    submitter = LocalFarm(tmp_path / "farm", max_concurrency=1)
    farm_job_id = submitter.submit(
        JobRequest("builtin", str(make_scene(delay=5)), "1-4", str(tmp_path / "o.#.png"))
    )
    other = LocalFarm(tmp_path / "farm", max_concurrency=1)  # like a second CLI process
    state = _wait(other, farm_job_id, lambda s: any(c["pid"] for c in s.extra["chunks"]))
    pid = next(c["pid"] for c in state.extra["chunks"] if c["pid"])
    other.cancel(farm_job_id)
    assert other.status(farm_job_id).status is JobStatus.cancelled
    submitter.close()  # reaps the runner
    assert _pid_gone(pid)


# A renderer that records how many renderers are alive at once, from the inside:
# it registers itself in a shared folder, counts the entries, then deregisters.
PROBE = """
import os, sys, time
active = sys.argv[1]
me = os.path.join(active, str(os.getpid()))
open(me, "w").close()
seen = len(os.listdir(active))
with open(os.path.join(active, "..", "seen.txt"), "a") as out:
    out.write(f"{seen}\\n")
time.sleep(0.1)  # the render itself
os.unlink(me)
print("frame 1 done", flush=True)
"""


def test_the_concurrency_limit_holds_across_jobs(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text(PROBE)
    active = tmp_path / "probe" / "active"
    active.mkdir(parents=True)
    command = f"{{python}} {probe} {active} {{start}}"
    farm = LocalFarm(tmp_path / "farm", max_concurrency=1, commands={"probe": command})
    ids = [
        farm.submit(JobRequest("probe", str(probe), "1-3", str(tmp_path / "o"), chunk_size=1))
        for _ in range(2)
    ]
    for farm_job_id in ids:
        assert _wait(farm, farm_job_id, _finished).status is JobStatus.succeeded
    seen = [int(n) for n in (tmp_path / "probe" / "seen.txt").read_text().split()]
    assert len(seen) == 6 and max(seen) == 1


def test_a_runner_killed_outright_is_reported_failed(
    tmp_path: Path, make_scene: Callable[..., Path]
) -> None:
    farm = LocalFarm(tmp_path / "farm", max_concurrency=1)
    farm_job_id = farm.submit(
        JobRequest("builtin", str(make_scene(delay=5)), "1-2", str(tmp_path / "o.#.png"))
    )
    state = _wait(farm, farm_job_id, lambda s: any(c["pid"] for c in s.extra["chunks"]))
    runner = farm._runners[farm_job_id]
    os.kill(runner.pid, signal.SIGKILL)
    runner.wait()
    state = farm.status(farm_job_id)
    assert state.status is JobStatus.failed and "exited unexpectedly" in (state.message or "")
    farm.cancel(farm_job_id)  # cleans up the orphaned renderer
    chunk_pid = next(c["pid"] for c in state.extra["chunks"] if c["pid"])
    deadline = time.monotonic() + WAIT_SECONDS
    while not _pid_gone(chunk_pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _pid_gone(chunk_pid)


def test_submissions_the_farm_cannot_run_are_rejected(
    tmp_path: Path, make_scene: Callable[..., Path]
) -> None:
    farm = LocalFarm(tmp_path / "farm", executables={"blender": "/nonexistent/blender"})
    with pytest.raises(JobRejected, match="not found on this machine"):
        farm.submit(JobRequest("blender", str(make_scene()), "1-2", str(tmp_path / "o")))
    with pytest.raises(JobRejected, match="scene not found"):
        farm.submit(JobRequest("builtin", str(tmp_path / "nope"), "1-2", str(tmp_path / "o")))
    with pytest.raises(JobNotFound):
        farm.status("local-doesnotexist")
    with pytest.raises(JobNotFound):
        farm.status("../../etc")
