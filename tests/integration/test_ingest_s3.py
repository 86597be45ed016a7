"""The ingest service against a real S3 endpoint on loopback (moto) and the local tracker."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from onepiece.adapters.storage.s3.storage import S3Storage
from onepiece.adapters.trackers.local.tracker import LocalTracker
from onepiece.domain.ingest_plan import PlannedFile
from onepiece.errors import IntegrityError, StorageError
from onepiece.samples import SampleDelivery, filler_delivery
from onepiece.services.ingest.options import IngestOptions
from onepiece.services.ingest.service import run_ingest
from onepiece.state.ingest_runs import IngestRunRegistry
from tests.ingest_support import CLIP, SEQUENCE, assert_all_stored_and_verified, versions_by_code
from tests.s3_endpoint import unique_bucket

MIB = 1024 * 1024


@dataclass
class Services:
    tracker: LocalTracker
    storage: S3Storage


@pytest.fixture
def tracker(tmp_path: Path):
    tracker = LocalTracker(tmp_path / "tracker.db")
    yield tracker
    tracker.close()


def options(delivery: Path, bucket: str, **extra) -> IngestOptions:
    return IngestOptions(folder=delivery, project="demo", show="FG", bucket=bucket, **extra)


def test_sample_delivery_into_s3(
    s3_endpoint_url: str, tracker: LocalTracker, sample_delivery: SampleDelivery, tmp_path: Path
) -> None:
    storage = S3Storage(endpoint_url=s3_endpoint_url, region="us-east-1")
    bucket = unique_bucket("ingest")
    registry = IngestRunRegistry(tmp_path / "runs.json")
    opts = options(sample_delivery.folder, bucket, manifest=sample_delivery.manifest, workers=4)

    result = run_ingest(opts, Services(tracker, storage), registry)

    assert isinstance(result.error, IntegrityError)
    assert result.summary()["counts"]["registered"] == 3
    assert_all_stored_and_verified(storage, bucket, sample_delivery.files, frozenset({CLIP}))
    versions = versions_by_code(tracker)
    assert (
        versions[SEQUENCE].path
        == f"s3://{bucket}/FG/ep010/sc02/0100/plate/v001/{SEQUENCE}.%04d.exr"
    )
    frame = storage.head(bucket, f"FG/ep010/sc02/0100/plate/v001/{SEQUENCE}.1001.exr")
    assert frame.metadata["expected-checksum"].startswith("md5:")
    assert frame.metadata["version-code"] == SEQUENCE
    assert registry.get(result.run_id or "")["status"] == "failed"

    again = run_ingest(opts, Services(tracker, storage), registry)
    counts = again.summary()["counts"]
    assert (counts["uploaded"], counts["registered"], counts["existing"]) == (0, 0, 3)
    assert counts["skipped"] == len(sample_delivery.files) - 1
    assert len(versions_by_code(tracker)) == 3


class StopAfter:
    """Progress events that stop the S3 endpoint once ``count`` files are done."""

    def __init__(self, server, count: int) -> None:
        self.server, self.count, self.done = server, count, 0

    def planned(self, files: int, size: int) -> None: ...
    def file_started(self, path: str, size: int) -> None: ...
    def advance(self, path: str, count: int) -> None: ...

    def file_finished(self, row: PlannedFile) -> None:
        self.done += 1
        if self.done == self.count:
            self.server.stop()


def test_resume_after_the_endpoint_goes_away(
    s3_endpoint_url: str, tracker: LocalTracker, tmp_path: Path
) -> None:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    delivery = tmp_path / "big"
    files = filler_delivery(
        delivery, large_files=3, large_size=12 * MIB, frames=40, frame_size=64 * 1024
    )
    bucket = unique_bucket("resume")
    registry = IngestRunRegistry(tmp_path / "runs.json")

    def storage() -> S3Storage:
        return S3Storage(
            endpoint_url=url,
            region="us-east-1",
            part_size=5 * MIB,
            max_attempts=1,
            connect_timeout=1,
            read_timeout=5,
        )

    first = run_ingest(
        options(delivery, bucket, workers=2),
        Services(tracker, storage()),
        registry,
        StopAfter(server, 10),
    )
    assert isinstance(first.error, StorageError)
    counts = first.summary()["counts"]
    assert counts["failed"] > 0 and counts["uploaded"] >= 9

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        second = run_ingest(
            options(delivery, bucket, workers=2), Services(tracker, storage()), registry
        )
    finally:
        server.stop()
    # moto keeps its objects in this process, so the restarted endpoint still has them.
    assert second.error is None, second.summary()["problems"]
    counts = second.summary()["counts"]
    assert counts["skipped"] >= 9
    assert counts["uploaded"] == len(files) - counts["skipped"]
    server.start()
    try:
        s3 = storage()
        for path in files:
            rel = path.relative_to(delivery).as_posix().split("/")[-1]
            show, episode, scene, shot, asset, version = rel.split(".")[0].split("_")
            key = f"{show}/{episode}/{scene}/{shot}/{asset}/{version}/{rel}"
            assert s3.get_bytes(bucket, key) == path.read_bytes()
    finally:
        server.stop()
    versions = versions_by_code(tracker)
    assert len(versions) == 4  # 3 clips + 1 sequence, none twice
    runs = registry.runs()
    assert [run["status"] for run in runs] == ["failed", "completed"]


def test_other_content_at_a_key_is_a_conflict_not_overwritten_even_without_resume(
    s3_endpoint_url: str, tracker: LocalTracker, tmp_path: Path
) -> None:
    """Without --resume nothing is looked up before sending: the write itself refuses."""
    from tests.ingest_support import expected_key

    storage = S3Storage(endpoint_url=s3_endpoint_url, region="us-east-1")
    bucket = unique_bucket("ingest")
    files = filler_delivery(tmp_path / "delivery", large_files=0, frames=3, frame_size=4096)
    storage.ensure_bucket(bucket)
    taken = tmp_path / "theirs.exr"
    taken.write_bytes(b"another run's frame")
    theirs = storage.put_file(bucket, expected_key(files[1]), taken)
    opts = options(tmp_path / "delivery", bucket, resume=False, workers=2)

    result = run_ingest(opts, Services(tracker, storage), IngestRunRegistry(tmp_path / "r.json"))

    statuses = sorted(row.status.value for row in result.plan.files)
    assert statuses.count("conflict") == 1, statuses
    assert result.summary()["counts"]["registered"] == 0
    assert storage.head(bucket, expected_key(files[1])).checksum == theirs.checksum
    assert storage.get_bytes(bucket, expected_key(files[1])) == b"another run's frame"
    assert versions_by_code(tracker) == {}  # the Version is delivered whole or not at all
