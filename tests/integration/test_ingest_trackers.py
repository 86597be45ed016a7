"""Ingest registers Versions the same way on every tracker adapter (local SQLite, ShotGrid)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from onepiece.adapters.storage.local.storage import LocalStorage
from onepiece.adapters.trackers.base import Tracker
from onepiece.errors import VersionConflict
from onepiece.samples import SampleDelivery, write_clip
from onepiece.services.ingest.options import IngestOptions
from onepiece.services.ingest.service import run_ingest
from tests.ingest_support import CLIP, SEQUENCE


@dataclass
class Services:
    tracker: Tracker
    storage: LocalStorage


def ingest(folder: Path, services: Services, manifest: Path | None = None):
    options = IngestOptions(folder=folder, project="demo", show="FG", manifest=manifest, workers=4)
    return run_ingest(options, services)


def test_versions_hierarchy_and_idempotency(
    tracker: Tracker, clean_delivery: SampleDelivery, tmp_path: Path
) -> None:
    services = Services(tracker, LocalStorage(tmp_path / "storage"))

    first = ingest(clean_delivery.folder, services, clean_delivery.manifest)
    again = ingest(clean_delivery.folder, services, clean_delivery.manifest)

    assert first.error is None and again.error is None
    assert first.summary()["counts"]["registered"] == 4
    assert again.summary()["counts"]["existing"] == 4
    versions = {v.code: v for v in tracker.list_versions("demo")}
    assert len(versions) == 4
    plate = versions[SEQUENCE]
    assert (plate.frame_first, plate.frame_last, plate.frame_range) == (
        1001,
        1012,
        "1001-1004,1008-1012",
    )
    assert plate.checksum and plate.checksum.startswith("xxh3:")
    assert {s.code for s in tracker.list_shots("demo")} >= {
        "ep010_sc02_0010",
        "ep010_sc02_0100",
    }
    assert {s.code for s in tracker.list_sequences("demo")} == {"ep010_sc02"}


def test_different_file_under_a_registered_name_conflicts(
    tracker: Tracker, clean_delivery: SampleDelivery, tmp_path: Path
) -> None:
    services = Services(tracker, LocalStorage(tmp_path / "storage"))
    assert ingest(clean_delivery.folder, services).error is None
    registered = tracker.find_version("demo", CLIP.removesuffix(".mov"))
    other = tmp_path / "other"
    write_clip(other / CLIP, seconds=0.3, seed=7)

    result = ingest(other, services)

    assert isinstance(result.error, VersionConflict)
    assert tracker.find_version("demo", CLIP.removesuffix(".mov")) == registered
