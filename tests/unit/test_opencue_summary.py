"""Cuebot job records -> OnePiece statuses, frame counters, buckets and UTC times."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from opencue_proto import host_pb2, job_pb2

from onepiece.adapters.farms.opencue.summary import (
    farm_job_state,
    frame_counts,
    frames_from_chunks,
    host_of,
    job_status,
    queue_job,
)
from onepiece.domain.render import FrameCounts, JobStatus
from onepiece.domain.render_queue import iso_utc, summarise, utc_from_epoch


def frames(total: int = 10, **counts: int) -> FrameCounts:
    return FrameCounts(total=total, **counts)


@pytest.mark.parametrize(
    ("state", "counts", "eaten", "expected"),
    [
        ("STARTUP", frames(waiting=10), 0, JobStatus.queued),
        ("POSTED", frames(waiting=10), 0, JobStatus.queued),
        ("PENDING", frames(waiting=10), 0, JobStatus.queued),
        ("PENDING", frames(waiting=8, running=2), 0, JobStatus.running),
        ("PENDING", frames(waiting=5, succeeded=5), 0, JobStatus.running),
        ("PENDING", frames(waiting=5, dead=1, succeeded=4), 0, JobStatus.running),
        ("PENDING", frames(succeeded=9, dead=1), 0, JobStatus.failed),
        ("FINISHED", frames(succeeded=10), 0, JobStatus.succeeded),
        ("FINISHED", frames(succeeded=8), 2, JobStatus.succeeded),
        ("FINISHED", frames(succeeded=9, dead=1), 0, JobStatus.failed),
        ("FINISHED", frames(waiting=6, succeeded=4), 0, JobStatus.cancelled),
        ("SHUTDOWN", frames(waiting=6, succeeded=4), 0, JobStatus.cancelled),
    ],
)
def test_opencue_states_map_to_onepiece_statuses(
    state: str, counts: FrameCounts, eaten: int, expected: JobStatus
) -> None:
    assert job_status(state, counts, eaten) is expected


def test_frame_counters_come_from_job_stats() -> None:
    stats = job_pb2.JobStats(
        total_frames=20,
        waiting_frames=5,
        depend_frames=2,
        running_frames=3,
        succeeded_frames=8,
        dead_frames=2,
        failed_frame_count=4,
    )
    assert frame_counts(stats) == FrameCounts(
        total=20, waiting=7, running=3, succeeded=8, failed=4, dead=2
    )


def cue_job(**changes: object) -> job_pb2.Job:
    job = job_pb2.Job(
        id="0f1e",
        name="pipe-sh010-alice_blender_x",
        state=job_pb2.FINISHED,
        show="pipe",
        shot="sh010",
        user="alice",
        priority=50,
        start_time=1_700_000_000,
        stop_time=1_700_000_600,
        job_stats=job_pb2.JobStats(total_frames=4, succeeded_frames=4),
    )
    for key, value in changes.items():
        setattr(job, key, value)
    return job


def test_farm_job_state_carries_utc_times_and_extras() -> None:
    state = farm_job_state(cue_job())
    assert state.status is JobStatus.succeeded
    assert state.started_at == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
    assert state.finished_at == datetime(2023, 11, 14, 22, 23, 20, tzinfo=UTC)
    assert state.extra["shot"] == "sh010" and state.extra["state"] == "FINISHED"


def test_running_job_has_no_finish_time_and_unset_times_are_none() -> None:
    job = cue_job(state=job_pb2.PENDING, start_time=0, stop_time=0)
    job.job_stats.CopyFrom(job_pb2.JobStats(total_frames=4, waiting_frames=4))
    state = farm_job_state(job)
    assert (state.status, state.started_at, state.finished_at) == (JobStatus.queued, None, None)


def test_failed_job_message_counts_dead_frames() -> None:
    job = cue_job()
    job.job_stats.CopyFrom(job_pb2.JobStats(total_frames=4, succeeded_frames=3, dead_frames=1))
    assert farm_job_state(job).message == "1 of 4 frames dead on OpenCue"


def test_queue_row_serialises_bucket_counters_and_utc_timestamps() -> None:
    row = queue_job(cue_job(), layers=("blender",), hosts=("render01",)).as_dict()
    assert row["status"] == "success" and row["job_status"] == "succeeded"
    assert row["layers"] == ["blender"] and row["hosts"] == ["render01"]
    assert row["frames"] == {
        "total": 4,
        "waiting": 0,
        "running": 0,
        "succeeded": 4,
        "failed": 0,
        "dead": 0,
    }
    assert row["started_at"] == "2023-11-14T22:13:20Z"
    assert row["finished_at"] == "2023-11-14T22:23:20Z"


def test_summary_counts_killed_jobs_as_fail() -> None:
    statuses = [JobStatus.queued, JobStatus.running, JobStatus.succeeded, JobStatus.cancelled]
    assert summarise(statuses) == {"cued": 1, "running": 1, "success": 1, "fail": 1}
    assert summarise([]) == {"cued": 0, "running": 0, "success": 0, "fail": 0}


def test_naive_times_are_taken_as_utc_and_epoch_zero_is_unset() -> None:
    assert iso_utc(datetime(2024, 1, 1, 12, 0)) == "2024-01-01T12:00:00Z"
    assert utc_from_epoch(0) is None


def test_proc_names_give_the_host() -> None:
    proc = host_pb2.Proc(name="render07.example.com/4.00/0")
    assert host_of(proc.name) == "render07.example.com"


def test_chunk_records_are_counted_in_frames() -> None:
    """1-10 in chunks of 4: records 1 (frames 1-4), 5 (5-8) and 9 (9-10)."""
    records = [(1, job_pb2.SUCCEEDED), (5, job_pb2.RUNNING), (9, job_pb2.WAITING)]
    assert frames_from_chunks("1-10", 4, records, failed=0) == FrameCounts(
        total=10, waiting=2, running=4, succeeded=4
    )


def test_stepped_ranges_and_dead_and_eaten_chunks() -> None:
    """1-20x2 is 10 frames; chunks of 3 start at 1, 7, 13, 19."""
    records = [
        (1, job_pb2.DEAD),
        (7, job_pb2.EATEN),
        (13, job_pb2.DEPEND),
        (19, job_pb2.SETUP),
    ]
    assert frames_from_chunks("1-20x2", 3, records, failed=2) == FrameCounts(
        total=10, waiting=3, running=1, dead=3, failed=2
    )


def test_unreadable_ranges_keep_cuebots_counters() -> None:
    assert frames_from_chunks("1-10q3", 2, [], failed=0) is None
