"""The RenderJob record and request validation."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from onepiece.domain.render import (
    FarmCapabilities,
    FarmJobState,
    FrameCounts,
    JobRequest,
    JobStatus,
    RenderJob,
    validate_request,
)
from onepiece.errors import ValidationError

CAPS = FarmCapabilities("local", "test", 0, 100, True, True)
NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def _job() -> RenderJob:
    request = JobRequest("builtin", "/s.json", "1-10", "/o.####.png", "local", 60, 5, "ana")
    return RenderJob("abc", request, "local-1", JobStatus.queued, NOW, NOW, FrameCounts(10, 10))


def test_a_job_survives_a_round_trip_through_its_dict() -> None:
    job = _job()
    assert RenderJob.from_dict(job.to_dict()) == job
    data = job.to_dict()
    assert data["status"] == "queued" and data["farm"] == "local" and data["progress"] == 0.0


def test_applying_an_unchanged_farm_state_returns_the_same_job() -> None:
    job = _job()
    same = job.apply(FarmJobState("local-1", JobStatus.queued, FrameCounts(10, 10)), NOW)
    assert same is job


def test_applying_progress_updates_status_counts_and_time() -> None:
    later = datetime(2026, 1, 2, 3, 5, tzinfo=UTC)
    state = FarmJobState("local-1", JobStatus.running, FrameCounts(10, 5, 1, 4), started_at=later)
    moved = _job().apply(state, later)
    assert moved.status is JobStatus.running
    assert moved.updated_at == later and moved.started_at == later
    assert moved.to_dict()["progress"] == 40.0


def test_validation_refuses_priority_outside_the_farm_range() -> None:
    request = JobRequest("builtin", "/s", "1-10", "/o", priority=101)
    with pytest.raises(ValidationError, match="priority 101"):
        validate_request(request, CAPS)


def test_validation_counts_frames_and_requires_scene_and_output() -> None:
    assert validate_request(JobRequest("builtin", "/s", "1-10,20", "/o"), CAPS) == 11
    with pytest.raises(ValidationError, match="scene is required"):
        validate_request(JobRequest("builtin", " ", "1-10", "/o"), CAPS)


def test_frame_counts_as_a_dict_hold_every_field() -> None:
    from dataclasses import asdict

    from onepiece.domain.render import FrameCounts

    counts = FrameCounts(10, 1, 2, 3, 4, 5, 6)
    assert counts.to_dict() == asdict(counts)  # a field added later is not forgotten
