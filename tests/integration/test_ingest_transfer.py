"""The per-file transfer decision against real local storage: skip, verify, send, refuse."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import pytest

from onepiece.adapters.storage.local.storage import LocalStorage
from onepiece.domain.ingest_plan import FileStatus
from onepiece.services.ingest.transfer import FileJob, hash_file, transfer

BUCKET = "vendor-in"
KEY = "FG/ep010/sc02/0010/comp/v001/clip.mov"


@pytest.fixture
def storage(tmp_path: Path) -> LocalStorage:
    store = LocalStorage(tmp_path / "store")
    store.ensure_bucket(BUCKET)
    return store


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "clip.mov"
    path.write_bytes(b"frame data " * 1000)
    return path


def md5(path: Path) -> str:
    return "md5:" + hashlib.md5(path.read_bytes()).hexdigest()


def job(source: Path, **extra) -> FileJob:
    size = extra.pop("size", None)
    return FileJob(
        path="clip.mov",
        source=source,
        size=source.stat().st_size if size is None else size,
        bucket=BUCKET,
        key=KEY,
        algorithm="xxh3",
        **extra,
    )


def run(storage: LocalStorage, job: FileJob, cancel: threading.Event | None = None):
    """Transfer, then commit what it staged, as the ingest does in batches."""
    seen: list[int] = []
    outcome = transfer(storage, job, seen.append, cancel or threading.Event())
    if outcome.staged is not None:
        (committed,) = storage.commit([outcome.staged])
        assert committed == outcome.staged.info
    return outcome, sum(seen)


def test_a_sent_file_appears_only_once_committed(storage: LocalStorage, source: Path) -> None:
    outcome = transfer(storage, job(source), lambda _: None, threading.Event())

    assert outcome.status is FileStatus.UPLOADED and outcome.staged is not None
    assert list(storage.list(BUCKET)) == []
    storage.commit([outcome.staged])
    assert storage.head(BUCKET, KEY).checksum == outcome.checksum


def test_absent_object_is_sent_with_both_checksums(storage: LocalStorage, source: Path) -> None:
    outcome, read = run(storage, job(source, expected=md5(source)))
    assert outcome.status is FileStatus.UPLOADED
    assert read == source.stat().st_size
    info = storage.head(BUCKET, KEY)
    assert info.checksum == outcome.checksum and outcome.checksum.startswith("xxh3:")
    assert info.metadata["expected-checksum"] == md5(source)


def test_present_object_matching_the_manifest_is_skipped_without_reading(
    storage: LocalStorage, source: Path, tmp_path: Path
) -> None:
    expected, size = md5(source), source.stat().st_size
    run(storage, job(source, expected=expected))
    source.rename(tmp_path / "moved-away.mov")  # any attempt to read it would now fail
    outcome, read = run(storage, job(source, size=size, expected=expected))
    assert outcome.status is FileStatus.SKIPPED
    assert read == 0


def test_present_object_without_manifest_is_verified_by_one_read(
    storage: LocalStorage, source: Path
) -> None:
    first, _ = run(storage, job(source))
    outcome, read = run(storage, job(source))
    assert outcome.status is FileStatus.SKIPPED
    assert outcome.checksum == first.checksum
    assert read == source.stat().st_size  # hashed once, not sent


@pytest.mark.parametrize("registered", [True, False])
@pytest.mark.parametrize("other", [b"other data " * 1000, b"shorter", b"longer data " * 2000])
def test_other_bytes_never_replace_a_stored_object(
    storage: LocalStorage, source: Path, registered: bool, other: bytes
) -> None:
    """Registered here or not: the stored object may be another project's Version
    or a concurrent run's, which this run's tracker lookup cannot see."""
    run(storage, job(source))
    before = storage.get_bytes(BUCKET, KEY)
    source.write_bytes(other)
    refused, _ = run(storage, job(source, registered=registered))
    assert refused.status is FileStatus.CONFLICT, refused
    assert "not overwritten" in refused.reason
    assert storage.get_bytes(BUCKET, KEY) == before


def test_manifest_mismatch_stores_nothing(storage: LocalStorage, source: Path) -> None:
    outcome, _ = run(storage, job(source, expected="md5:" + "0" * 32))
    assert outcome.status is FileStatus.MISMATCH
    assert outcome.reason.startswith("checksum mismatch: expected md5:0000")
    assert list(storage.list(BUCKET)) == []


def test_registered_checksum_refuses_different_data_before_commit(
    storage: LocalStorage, source: Path
) -> None:
    outcome, _ = run(
        storage,
        job(source, registered=True, expected="xxh3:" + "0" * 16, expected_is_registered=True),
    )
    assert outcome.status is FileStatus.CONFLICT
    assert list(storage.list(BUCKET)) == []


def test_cancelled_run_stops_a_transfer_and_leaves_no_object(
    storage: LocalStorage, source: Path
) -> None:
    cancel = threading.Event()
    cancel.set()
    outcome, _ = run(storage, job(source), cancel)
    assert outcome.status is FileStatus.CANCELLED
    assert list(storage.list(BUCKET)) == []


def test_hash_file_computes_every_algorithm_in_one_pass(source: Path) -> None:
    reads: list[int] = []
    xxh, digest = hash_file(source, ["xxh3:" + "0" * 16, md5(source)], reads.append)
    assert digest == md5(source)
    assert xxh.startswith("xxh3:") and len(xxh) == 5 + 16
    assert sum(reads) == source.stat().st_size


def test_without_resume_a_present_object_is_sent_again(storage: LocalStorage, source: Path) -> None:
    run(storage, job(source))
    outcome, read = run(storage, job(source, resume=False))
    assert outcome.status is FileStatus.UPLOADED
    assert read == source.stat().st_size
