"""``--mhl-out`` into S3 (moto on loopback): the history lands beside the data as objects."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from onepiece.adapters.storage.s3.storage import S3Storage
from onepiece.adapters.trackers.local.tracker import LocalTracker
from onepiece.samples import SampleDelivery
from onepiece.services.ingest.options import IngestOptions
from onepiece.services.ingest.service import run_ingest
from tests.ascmhl_tool import tool
from tests.s3_endpoint import unique_bucket


@dataclass
class Services:
    tracker: LocalTracker
    storage: S3Storage


@pytest.fixture
def tracker(tmp_path: Path):
    tracker = LocalTracker(tmp_path / "tracker.db")
    yield tracker
    tracker.close()


def test_mhl_out_into_s3_is_verified_by_the_reference_tool(
    s3_endpoint_url: str, tracker: LocalTracker, clean_delivery: SampleDelivery, tmp_path: Path
) -> None:
    storage = S3Storage(endpoint_url=s3_endpoint_url, region="us-east-1")
    bucket = unique_bucket("mhl")
    options = IngestOptions(
        folder=clean_delivery.folder, project="demo", show="FG", bucket=bucket, mhl_out=True
    )
    services = Services(tracker, storage)

    first = run_ingest(options, services)
    assert first.error is None
    assert first.summary()["mhl"].startswith(f"s3://{bucket}/ascmhl/0001_{bucket}_")
    second = run_ingest(options, services)  # everything skipped: still recorded, on top
    assert second.error is None

    copy = tmp_path / bucket
    for info in storage.list(bucket):
        storage.get_file(bucket, info.key, copy / info.key)
    names = sorted(p.name for p in (copy / "ascmhl").iterdir())
    assert [n[:4] for n in names] == ["0001", "0002", "ascm"]
    verify = tool("ascmhl-debug", "verify", copy)
    assert verify.returncode == 0, verify.stdout + verify.stderr
