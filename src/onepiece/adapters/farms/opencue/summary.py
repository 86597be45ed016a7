"""Translate Cuebot's job records into OnePiece's render job model.

Pure functions over the protobuf messages pycue hands back (``job_pb2.Job``,
``JobStats``); nothing here talks to Cuebot, so it is tested without one.

How OpenCue states map to ours:

- ``STARTUP``/``POSTED``: the job is being created -> queued.
- ``PENDING`` is every live job. By frames: something running -> running;
  nothing left to do but dead frames -> failed (OpenCue keeps such a job
  pending until someone retries or eats the frames); some frames done and
  more waiting -> running (between dispatches); nothing started -> queued.
- ``FINISHED``/``SHUTDOWN``: dead frames -> failed; every frame succeeded or
  eaten -> succeeded; frames left waiting -> cancelled (a kill puts running
  frames back to waiting and finishes the job).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fileseq.frameset import FrameSet

from onepiece.domain.render import FarmJobState, FrameCounts, JobStatus
from onepiece.domain.render_queue import QueueJob, utc_from_epoch

# job_pb2.JobState values, by name (kept here so this module needs no protobuf import).
JOB_STATE_NAMES = {0: "PENDING", 1: "FINISHED", 2: "STARTUP", 3: "SHUTDOWN", 4: "POSTED"}


def frame_counts(stats: Any) -> FrameCounts:
    """FrameCounts from a ``JobStats`` message.

    ``waiting`` includes frames held by dependencies; ``failed`` counts failed
    attempts (retried ones too), ``dead`` the frames out of retries.
    """
    return FrameCounts(
        total=int(stats.total_frames),
        waiting=int(stats.waiting_frames) + int(stats.depend_frames),
        running=int(stats.running_frames),
        succeeded=int(stats.succeeded_frames),
        failed=int(stats.failed_frame_count),
        dead=int(stats.dead_frames),
    )


# job_pb2.FrameState values -> our counter (EATEN, 6, is skipped: counted in none).
_FRAME_BUCKETS = {0: "waiting", 4: "waiting", 1: "running", 2: "running", 7: "running"}
_FRAME_BUCKETS.update({3: "succeeded", 5: "dead"})


def frames_from_chunks(
    frame_range: str, chunk_size: int, records: Iterable[tuple[int, int]], failed: int
) -> FrameCounts | None:
    """Counters in frames, not chunks, for a one-layer job.

    Cuebot keeps one frame record per chunk: the record numbered like the
    range's i-th frame stands for frames i..i+chunk-1 of the range. ``records``
    are (number, state) pairs. None when the range cannot be read.
    """
    try:
        numbers = list(FrameSet(frame_range))
    except ValueError:  # fileseq: unparsable or too large
        return None
    position = {number: index for index, number in enumerate(numbers)}
    counts = {"waiting": 0, "running": 0, "succeeded": 0, "dead": 0}
    for number, state in records:
        index = position.get(int(number))
        bucket = _FRAME_BUCKETS.get(int(state))
        if index is not None and bucket is not None:
            counts[bucket] += min(chunk_size, len(numbers) - index)
    return FrameCounts(total=len(numbers), failed=failed, **counts)


def state_name(state: int) -> str:
    return JOB_STATE_NAMES.get(int(state), f"UNKNOWN({int(state)})")


def job_status(state: str, frames: FrameCounts, eaten: int = 0) -> JobStatus:
    """Our status for an OpenCue job state and its frame counters."""
    left = frames.waiting + frames.running
    if state in ("STARTUP", "POSTED"):
        return JobStatus.queued
    if state in ("FINISHED", "SHUTDOWN"):
        if frames.dead:
            return JobStatus.failed
        if left == 0 and frames.succeeded + eaten >= frames.total:
            return JobStatus.succeeded
        return JobStatus.cancelled
    if frames.running:
        return JobStatus.running
    if left == 0 and frames.dead:
        return JobStatus.failed
    if frames.succeeded or frames.dead or eaten:
        return JobStatus.running
    return JobStatus.queued


def _status_message(status: JobStatus, frames: FrameCounts) -> str | None:
    if status is JobStatus.failed:
        return f"{frames.dead} of {frames.total} frames dead on OpenCue"
    if status is JobStatus.cancelled:
        return "killed on OpenCue before all frames finished"
    return None


def farm_job_state(job: Any) -> FarmJobState:
    """A ``FarmJobState`` from a ``job_pb2.Job`` message."""
    frames = frame_counts(job.job_stats)
    raw_state = state_name(job.state)
    status = job_status(raw_state, frames, int(job.job_stats.eaten_frames))
    return FarmJobState(
        farm_job_id=job.id,
        status=status,
        frames=frames,
        message=_status_message(status, frames),
        started_at=utc_from_epoch(job.start_time),
        finished_at=utc_from_epoch(job.stop_time) if status.finished else None,
        extra={
            "name": job.name,
            "show": job.show or None,
            "shot": job.shot or None,
            "user": job.user or None,
            "state": raw_state,
            "priority": int(job.priority),
        },
    )


def queue_job(
    job: Any,
    *,
    layers: tuple[str, ...] | None = None,
    hosts: tuple[str, ...] = (),
) -> QueueJob:
    """A details-view row from a ``job_pb2.Job`` plus what was looked up around it."""
    state = farm_job_state(job)
    return QueueJob(
        job_id=job.id,
        name=job.name,
        status=state.status,
        raw_state=str(state.extra["state"]),
        frames=state.frames,
        show=job.show or None,
        shot=job.shot or None,
        layers=layers,
        user=job.user or None,
        hosts=hosts,
        priority=int(job.priority),
        started_at=state.started_at,
        finished_at=state.finished_at,
    )


def host_of(proc_name: str) -> str:
    """Cuebot names a proc ``host/cores[/gpus]``; the host is the first part."""
    return proc_name.split("/", 1)[0]
