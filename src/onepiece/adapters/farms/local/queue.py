"""The local farm's queue: queued work costs a file, not a process.

``submit`` writes the job folder and a marker ``queue/<rank>-<id>`` (rank:
priority first, then submit order). Runner processes, at most
``max_concurrency`` at once (each holds a ``slots/runner-N.lock`` flock for its
life), take the first marker whose job they can lock (``jobs/<id>/run.lock``,
held while the job renders), render it, and take the next; a runner that
finds the queue empty exits. Locks die with their process, so a runner killed
outright frees its slot and its job at once; the queue is files, so it
survives any restart of the server or the CLI.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

from onepiece.domain.render import JobRequest

QUEUED = "queued"


def _queue_dir(root: Path) -> Path:
    return root / "queue"


def enqueue(root: Path, farm_job_id: str, priority: int) -> None:
    rank = f"{100 - max(0, min(100, priority)):03d}-{time.time_ns():020d}"
    folder = _queue_dir(root)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{rank}-{farm_job_id}").touch()


def queued(root: Path) -> list[Path]:
    """Queue markers, first to run first."""
    with contextlib.suppress(FileNotFoundError):
        return sorted(_queue_dir(root).iterdir())
    return []


def marker_job(marker: Path) -> str:
    return marker.name.split("-", 2)[2]


def is_enqueued(root: Path, farm_job_id: str) -> bool:
    return any(marker_job(m) == farm_job_id for m in queued(root))


def dequeue(root: Path, farm_job_id: str) -> None:
    for marker in queued(root):
        if marker_job(marker) == farm_job_id:
            marker.unlink(missing_ok=True)


def try_lock(path: Path) -> int | None:
    """An exclusive flock on ``path`` (a descriptor to close to release), or None."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def is_locked(path: Path) -> bool:
    """Does some process hold the flock on ``path`` (a runner on that job)?"""
    if not path.exists():
        return False
    fd = try_lock(path)
    if fd is None:
        return True
    os.close(fd)
    return False


def runner_slot(root: Path, max_concurrency: int) -> int | None:
    slots = root / "slots"
    slots.mkdir(parents=True, exist_ok=True)
    for i in range(max_concurrency):
        fd = try_lock(slots / f"runner-{i}.lock")
        if fd is not None:
            os.ftruncate(fd, 0)
            os.write(fd, str(os.getpid()).encode())  # who holds it (for people looking)
            return fd
    return None


def read_state(job_dir: Path) -> dict[str, Any] | None:
    try:
        data: dict[str, Any] = json.loads((job_dir / "state.json").read_text("utf-8"))
    except (FileNotFoundError, ValueError):
        return None
    return data


def claim_next(root: Path) -> tuple[Path, int] | None:
    """Lock the first queued job nobody runs: (its folder, the lock to hold)."""
    for marker in queued(root):
        job_dir = root / "jobs" / marker_job(marker)
        if not job_dir.is_dir():
            marker.unlink(missing_ok=True)
            continue
        fd = try_lock(job_dir / "run.lock")
        if fd is None:
            continue
        state = read_state(job_dir)
        if state is None or state.get("status") != QUEUED:  # cancelled while queued
            os.close(fd)
            marker.unlink(missing_ok=True)
            continue
        marker.unlink(missing_ok=True)
        return job_dir, fd
    return None


def mark_recorded(job_dir: Path) -> None:
    (job_dir / "recorded").touch()


def unrecorded(root: Path) -> list[tuple[str, JobRequest]]:
    """(farm job id, request) of every folder no history recorded; re-queues a
    queued one whose queue entry was lost; removes half-written folders."""
    found = []
    for job_dir in sorted(root.joinpath("jobs").glob("local-*")):
        if (job_dir / "recorded").exists():
            continue
        state = read_state(job_dir)
        try:
            job = json.loads((job_dir / "job.json").read_text("utf-8"))
        except (OSError, ValueError):
            job = None
        if state is None or not isinstance(job, dict):
            if not is_locked(job_dir / "run.lock"):
                shutil.rmtree(job_dir, ignore_errors=True)  # a submit cut short
            continue
        try:
            request = JobRequest(**job["request"])
        except (KeyError, TypeError):
            continue  # a folder from before jobs carried their request: left alone
        if state.get("status") == QUEUED and not is_enqueued(root, job_dir.name):
            enqueue(root, job_dir.name, request.priority)
        found.append((job_dir.name, request))
    return found
