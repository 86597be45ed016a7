"""An S3 endpoint that stops answering mid-ingest: the run ends, and its report is what is stored.

Every call is bounded by the client's timeouts and attempts; once one goes
unanswered no further file is started (the run does not wait a timeout per
file), and files whose put landed although its answer was lost are checked
again and counted as stored, not failed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from onepiece.adapters.storage.s3.storage import S3Storage
from onepiece.adapters.trackers.local.tracker import LocalTracker
from onepiece.domain.ingest_plan import FileStatus, PlannedFile
from onepiece.errors import StorageError
from onepiece.samples import filler_delivery
from onepiece.services.ingest.options import IngestOptions
from onepiece.services.ingest.service import IngestResult, run_ingest
from onepiece.state.ingest_runs import IngestRunRegistry
from tests.freezable_proxy import FreezableProxy
from tests.ingest_support import recorded_runs
from tests.s3_endpoint import S3Endpoint, unique_bucket

FILES = 40
WORKERS = 4


@dataclass
class Services:
    tracker: LocalTracker
    storage: S3Storage


@pytest.fixture
def tracker(tmp_path: Path) -> Iterator[LocalTracker]:
    tracker = LocalTracker(tmp_path / "tracker.db")
    yield tracker
    tracker.close()


@pytest.fixture
def proxy(s3_server: S3Endpoint, s3_endpoint_url: str) -> Iterator[FreezableProxy]:
    host, _, port = s3_server.url.removeprefix("http://").rpartition(":")
    with FreezableProxy(host, int(port)) as proxy:
        yield proxy


class Trigger:
    """Progress events that break the endpoint while the sixth file is being sent."""

    def __init__(self, action) -> None:
        self.action, self.done, self.fired = action, 0, False

    def planned(self, files: int, size: int) -> None: ...
    def file_started(self, path: str, size: int) -> None: ...

    def advance(self, path: str, count: int) -> None:
        if self.done >= 5 and not self.fired:
            self.fired = True
            self.action()

    def file_finished(self, row: PlannedFile) -> None:
        self.done += 1


def ingest(tmp_path: Path, tracker: LocalTracker, url: str, events: Trigger) -> tuple:
    delivery = tmp_path / "delivery"
    filler_delivery(delivery, large_files=0, frames=FILES, frame_size=64 << 10)
    bucket = unique_bucket("frozen")
    storage = S3Storage(
        endpoint_url=url, region="us-east-1", max_attempts=1, connect_timeout=1, read_timeout=2
    )
    options = IngestOptions(
        folder=delivery, project="demo", show="FG", bucket=bucket, workers=WORKERS
    )
    registry = IngestRunRegistry(tmp_path / "runs.json")
    return run_ingest(options, Services(tracker, storage), registry, events), bucket, registry


def stored(s3_server: S3Endpoint, bucket: str) -> int:
    listing = s3_server.client().list_objects_v2(Bucket=bucket)
    return len(listing.get("Contents", []))


def count(result: IngestResult, status: FileStatus) -> int:
    return sum(1 for row in result.plan.files if row.status is status)


def test_a_frozen_endpoint_ends_the_run_without_a_timeout_per_file(
    tmp_path: Path, tracker: LocalTracker, proxy: FreezableProxy, s3_server: S3Endpoint
) -> None:
    result, bucket, registry = ingest(tmp_path, tracker, proxy.url, Trigger(proxy.freeze))

    assert isinstance(result.error, StorageError)
    not_sent = [r for r in result.plan.files if (r.reason or "").startswith("not sent:")]
    uploaded = count(result, FileStatus.UPLOADED)
    # Only the files already in flight waited for a timeout; the others were never started.
    assert len(not_sent) >= FILES - uploaded - 2 * WORKERS
    # A put in flight when the endpoint froze may have landed: it is not claimed
    # as stored nor as absent, but reported as unknown.
    unknown = [r for r in result.plan.files if "may hold it" in (r.reason or "")]
    assert uploaded <= stored(s3_server, bucket) <= uploaded + len(unknown)
    assert len(unknown) <= 2 * WORKERS
    assert count(result, FileStatus.FAILED) == FILES - uploaded
    assert registry.get(result.run_id or "")["status"] == "failed"


def test_files_stored_although_their_answer_was_lost_count_as_stored(
    tmp_path: Path, tracker: LocalTracker, proxy: FreezableProxy, s3_server: S3Endpoint
) -> None:
    result, bucket, _ = ingest(tmp_path, tracker, proxy.url, Trigger(proxy.lose_answers))

    in_bucket = stored(s3_server, bucket)
    assert count(result, FileStatus.UPLOADED) == in_bucket
    assert count(result, FileStatus.FAILED) == FILES - in_bucket
    confirmed = [r for r in result.plan.files if "answer was lost" in (r.reason or "")]
    assert confirmed  # at least the file whose answer was lost mid-way


@pytest.mark.parametrize("when", ["from the start", "mid-way"])
def test_cli_on_a_frozen_endpoint_exits_7_in_one_line(
    tmp_path: Path, proxy: FreezableProxy, s3_server: S3Endpoint, when: str
) -> None:
    import os
    import subprocess
    import sys

    delivery = tmp_path / "delivery"
    filler_delivery(delivery, large_files=0, frames=FILES, frame_size=64 << 10)
    env = {
        **os.environ,
        **s3_server.env(),
        "ONEPIECE_STORAGE_ENDPOINT_URL": proxy.url,
        "ONEPIECE_INGEST_VENDOR_BUCKET": unique_bucket("cli-frozen"),
        "ONEPIECE_STORAGE_READ_TIMEOUT_SECONDS": "1",
        "ONEPIECE_STORAGE_CONNECT_TIMEOUT_SECONDS": "1",
        "ONEPIECE_STORAGE_MAX_ATTEMPTS": "1",
    }
    command = [sys.executable, "-m", "onepiece", "ingest", str(delivery), "-p", "demo"]
    command += ["-s", "FG", "--workers", "2"]
    if when == "from the start":
        proxy.freeze()
        result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    else:
        proc = subprocess.Popen(
            command, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env
        )
        assert proc.stderr is not None
        lines = []
        for line in proc.stderr:
            lines.append(line)
            if "] uploaded " in line:
                proxy.freeze()
                break
        out, err = proc.communicate(timeout=120)
        result = subprocess.CompletedProcess(command, proc.returncode, out, "".join(lines) + err)

    assert result.returncode == 7, result.stderr
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "S3 endpoint" in errors[0]
    (run,) = recorded_runs(Path(os.environ["XDG_DATA_HOME"]) / "onepiece")
    assert run["status"] == "failed"
