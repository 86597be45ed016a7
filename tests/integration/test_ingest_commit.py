"""Ingest registers a Version only once the storage has committed (flushed) all its files."""

from __future__ import annotations

import contextlib
import errno
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from onepiece.adapters.storage.local.storage import LocalStorage
from onepiece.adapters.storage.local.sync import SYNCFS, FileSystemFlusher
from onepiece.adapters.trackers.local.tracker import LocalTracker
from onepiece.domain.entities import Version
from onepiece.domain.ingest_plan import FileStatus
from onepiece.errors import ObjectNotFound, StorageError
from onepiece.samples import filler_delivery
from onepiece.services.ingest.options import IngestOptions
from onepiece.services.ingest.service import plan_ingest, run_ingest

BUCKET = "vendor-in"


class StorageCheckingTracker(LocalTracker):
    """A real local tracker that notes, when asked to register, which files are not stored."""

    def __init__(self, path: Path, storage: LocalStorage, keys: Callable[[str], list[str]]):
        super().__init__(path)
        self.storage, self.keys = storage, keys
        self.missing_at_registration: list[str] = []

    def create_versions(self, versions: Sequence[Version]) -> list[Version]:
        for version in versions:
            for key in self.keys(version.code):
                try:
                    self.storage.head(BUCKET, key)
                except ObjectNotFound:
                    self.missing_at_registration.append(key)
        return super().create_versions(versions)


@dataclass
class Services:
    tracker: LocalTracker
    storage: LocalStorage


def options(folder: Path) -> IngestOptions:
    return IngestOptions(folder=folder, project="demo", show="FG", workers=4)


def test_every_registered_version_names_committed_objects(tmp_path: Path) -> None:
    files = filler_delivery(
        tmp_path / "delivery", large_files=2, large_size=3 << 20, frames=40, frame_size=8 << 10
    )
    plan, _ = plan_ingest(options(tmp_path / "delivery"))
    keys_of = {v.code: [row.key for row in v.files if row.key] for v in plan.versions}
    storage = LocalStorage(tmp_path / "storage", FileSystemFlusher(SYNCFS))
    tracker = StorageCheckingTracker(tmp_path / "tracker.db", storage, keys_of.__getitem__)
    try:
        result = run_ingest(options(tmp_path / "delivery"), Services(tracker, storage), None)

        assert result.error is None
        assert len(tracker.list_versions("demo")) == 3
        assert tracker.missing_at_registration == []
        assert len(list(storage.list(BUCKET))) == len(files)
    finally:
        tracker.close()


def test_a_commit_the_disk_refuses_registers_nothing_and_reports_the_files(
    tmp_path: Path,
) -> None:
    filler_delivery(tmp_path / "delivery", large_files=1, large_size=1 << 20, frames=10)
    storage = LocalStorage(tmp_path / "storage", FileSystemFlusher(lambda fd: errno.EIO))
    tracker = LocalTracker(tmp_path / "tracker.db")
    try:
        result = run_ingest(options(tmp_path / "delivery"), Services(tracker, storage), None)

        assert isinstance(result.error, StorageError)
        assert tracker.list_versions("demo") == []
        assert {row.status for row in result.plan.files} == {FileStatus.FAILED}
        assert all(row.reason.startswith("not committed:") for row in result.plan.files)
        assert list(storage.list(BUCKET)) == []
    finally:
        tracker.close()


def test_a_stop_during_a_commit_leaves_no_temp_files(tmp_path: Path) -> None:
    """Ctrl-C or SIGTERM (KeyboardInterrupt) landing inside a batch's commit: the
    run ends cancelled and the staged temp files are dropped, not left behind."""
    filler_delivery(tmp_path / "delivery", large_files=1, large_size=1 << 20, frames=10)

    def interrupted(fd: int) -> int:
        raise KeyboardInterrupt  # the signal, arriving at the commit's first barrier

    storage = LocalStorage(tmp_path / "storage", FileSystemFlusher(interrupted))
    tracker = LocalTracker(tmp_path / "tracker.db")
    try:
        with contextlib.suppress(KeyboardInterrupt):  # the CLI turns it into exit 130
            run_ingest(options(tmp_path / "delivery"), Services(tracker, storage), None)
        assert tracker.list_versions("demo") == []
        leftovers = [p.name for p in (tmp_path / "storage").rglob(".onepiece-tmp*")]
        assert leftovers == []
    finally:
        tracker.close()
