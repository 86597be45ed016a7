"""The mock farm simulates a lifecycle from the clock; opt-in only."""

from __future__ import annotations

import time

import pytest

from onepiece.adapters.farms.mock import MockFarm
from onepiece.bootstrap import build_farms
from onepiece.config import Settings
from onepiece.domain.render import JobRequest, JobStatus
from onepiece.errors import FarmNotFound, JobNotFound


def _until_finished(farm: MockFarm, farm_job_id: str) -> JobStatus:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        state = farm.status(farm_job_id)
        if state.status.finished:
            return state.status
        time.sleep(0.01)
    raise AssertionError("mock job did not finish")


def test_a_mock_job_goes_from_queued_to_succeeded_with_all_frames() -> None:
    farm = MockFarm(queue_seconds=60, seconds_per_frame=0.001)
    slow = farm.submit(JobRequest("builtin", "shot.ma", "1-5", "/o"))
    assert farm.status(slow).status is JobStatus.queued
    fast = MockFarm(queue_seconds=0, seconds_per_frame=0.001)
    farm_job_id = fast.submit(JobRequest("builtin", "shot.ma", "1-5", "/o"))
    assert _until_finished(fast, farm_job_id) is JobStatus.succeeded
    assert fast.status(farm_job_id).frames.succeeded == 5


def test_a_scene_named_fail_fails_half_way_and_cancel_is_remembered() -> None:
    farm = MockFarm(queue_seconds=0, seconds_per_frame=0.001)
    failing = farm.submit(JobRequest("builtin", "will_fail.ma", "1-10", "/o"))
    assert _until_finished(farm, failing) is JobStatus.failed
    assert farm.status(failing).frames.failed == 5
    slow = MockFarm(queue_seconds=60)
    farm_job_id = slow.submit(JobRequest("builtin", "a.ma", "1-10", "/o"))
    slow.cancel(farm_job_id, "not needed")
    state = slow.status(farm_job_id)
    assert state.status is JobStatus.cancelled and state.message == "cancelled: not needed"
    assert [s.farm_job_id for s in slow.list()] == [farm_job_id]


def test_unknown_mock_ids_are_job_not_found() -> None:
    with pytest.raises(JobNotFound):
        MockFarm().status("local-123")


def test_the_mock_farm_is_absent_unless_opted_in(tmp_path: object) -> None:
    farms = build_farms(Settings())
    assert farms.names == ["local"]
    with pytest.raises(FarmNotFound) as info:
        farms.get("mock")
    assert "mock_enabled" in (info.value.hint or "")
    assert "mock" in build_farms(Settings(render={"mock_enabled": True})).names
