"""Optional farm abilities, answered per class (adapters/farms/base.py)."""

from __future__ import annotations

from onepiece.adapters.farms.base import queues_jobs
from onepiece.adapters.farms.mock import MockFarm


class _Queue:
    def start(self, farm_job_id: str) -> None: ...

    def unrecorded_jobs(self) -> list[object]:
        return []


class _HalfQueue:
    def start(self, farm_job_id: str) -> None: ...


def test_a_farm_with_its_own_queue_is_told_apart_from_one_without() -> None:
    assert queues_jobs(_Queue())
    assert not queues_jobs(_HalfQueue())
    assert not queues_jobs(MockFarm.__new__(MockFarm))


def test_the_local_farm_keeps_its_own_queue() -> None:
    from onepiece.adapters.farms.local.farm import LocalFarm

    assert queues_jobs(LocalFarm.__new__(LocalFarm))
