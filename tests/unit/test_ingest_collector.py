"""The collector settings an ingest relaxes come back, also after overlapping ingests."""

from __future__ import annotations

import gc
import threading

import pytest

from onepiece.services.ingest.collector import (
    YOUNG_THRESHOLD,
    fewer_collections,
    long_lived_frozen,
)


@pytest.fixture
def default_threshold():
    saved = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield (700, 10, 10)
    gc.set_threshold(*saved)


def test_threshold_raised_inside_and_restored_after(default_threshold):
    with fewer_collections():
        assert gc.get_threshold() == (YOUNG_THRESHOLD, 10, 10)
    assert gc.get_threshold() == default_threshold


def test_overlapping_ingests_restore_the_process_threshold(default_threshold):
    first, second = fewer_collections(), fewer_collections()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)  # the first to start ends first
    assert gc.get_threshold()[0] == YOUNG_THRESHOLD  # the second still runs
    second.__exit__(None, None, None)
    assert gc.get_threshold() == default_threshold


def test_threshold_restored_when_the_run_raises(default_threshold):
    with pytest.raises(RuntimeError), fewer_collections():
        raise RuntimeError("tracker gone")
    assert gc.get_threshold() == default_threshold


def test_threads_leave_the_threshold_as_found(default_threshold):
    barrier = threading.Barrier(4)

    def ingest() -> None:
        with fewer_collections():
            barrier.wait()

    threads = [threading.Thread(target=ingest) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert gc.get_threshold() == default_threshold


def test_frozen_objects_return_to_the_collector():
    with long_lived_frozen():
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0
