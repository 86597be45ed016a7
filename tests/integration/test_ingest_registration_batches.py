"""Versions are registered in few tracker transactions: one per batch, sized for the tracker."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from onepiece.adapters.trackers.local.tracker import LocalTracker
from onepiece.domain.entities import Version
from onepiece.domain.ingest_plan import FileStatus, VersionStatus
from onepiece.samples import filler_delivery
from onepiece.services.ingest.options import IngestOptions
from onepiece.services.ingest.register import BATCH_SIZE, Registrar, prepare_hierarchy
from onepiece.services.ingest.service import plan_ingest


class CountingTracker(LocalTracker):
    """The real SQLite tracker, remembering the size of each create request."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.batches: list[int] = []

    def create_versions(self, versions: Sequence[Version]) -> list[Version]:
        self.batches.append(len(versions))
        return super().create_versions(versions)


def _finished_versions(tmp_path: Path, count: int, tracker: LocalTracker):
    filler_delivery(tmp_path / "in", large_files=0, frames=0, small_files=count)
    plan, _ = plan_ingest(IngestOptions(folder=tmp_path / "in", project="demo", show="FG"))
    prepare_hierarchy(tracker, "demo", plan.versions, create_missing=True)
    for version in plan.versions:
        for row in version.files:
            row.status, row.checksum = FileStatus.UPLOADED, "xxh3:0123456789abcdef"
    return plan.versions


def test_local_tracker_registers_many_versions_in_one_transaction(tmp_path: Path) -> None:
    count = 3 * BATCH_SIZE
    tracker = CountingTracker(tmp_path / "tracker.db")
    versions = _finished_versions(tmp_path, count, tracker)
    # A clock that never moves: only the batch size decides when to flush.
    registrar = Registrar(tracker, "demo", "xxh3", lambda key: key, {}, clock=lambda: 0.0)

    for version in versions:
        registrar.finished(version)
    registrar.flush()

    assert tracker.batches == [count]  # was three requests of BATCH_SIZE (one WAL fsync each)
    assert {v.status for v in versions} == {VersionStatus.REGISTERED}
    assert len(tracker.list_versions("demo")) == count


def test_remote_trackers_keep_requests_of_batch_size(tmp_path: Path) -> None:
    tracker = CountingTracker(tmp_path / "tracker.db")
    tracker.name = "shotgrid"  # what the registrar sizes its requests by
    versions = _finished_versions(tmp_path, BATCH_SIZE + 10, tracker)
    registrar = Registrar(tracker, "demo", "xxh3", lambda key: key, {}, clock=lambda: 0.0)

    for version in versions:
        registrar.finished(version)
    registrar.flush()

    assert tracker.batches == [BATCH_SIZE, 10]
    assert {v.status for v in versions} == {VersionStatus.REGISTERED}
