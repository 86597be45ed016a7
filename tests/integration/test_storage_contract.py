"""The Storage contract, run against every adapter: local folders and S3 (moto on loopback)."""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import xxhash

from onepiece.adapters.storage.base import CHECKSUM_METADATA_KEY, Storage
from onepiece.adapters.storage.local.storage import LocalStorage
from onepiece.adapters.storage.s3.storage import S3Storage
from onepiece.errors import IntegrityError, ObjectNotFound, StorageError, ValidationError
from tests import file_opens
from tests.s3_endpoint import unique_bucket

MIB = 1024 * 1024


@pytest.fixture(params=["local", "s3"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Storage:
    if request.param == "local":
        return LocalStorage(tmp_path / "storage-root")
    url = request.getfixturevalue("s3_endpoint_url")
    # The smallest part size S3 allows and no larger single requests, so a
    # 12 MiB file takes the multipart path.
    return S3Storage(
        endpoint_url=url,
        region="us-east-1",
        part_size=5 * MIB,
        single_put_max=5 * MIB,
        concurrency=3,
    )


@pytest.fixture
def bucket(storage: Storage) -> Iterator[str]:
    name = unique_bucket("contract")
    storage.ensure_bucket(name)
    yield name


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def xxh3(data: bytes) -> str:
    return "xxh3:" + xxhash.xxh3_64_hexdigest(data)


@pytest.mark.parametrize(
    "size", [0, 1, 5 * MIB, 12 * MIB + 7], ids=["empty", "1B", "5MiB", "12MiB"]
)
def test_put_records_checksum_in_metadata_and_get_returns_same_bytes(
    storage: Storage, bucket: str, tmp_path: Path, size: int
) -> None:
    data = os.urandom(size)
    source = write(tmp_path / "src" / "plate.exr", data)

    put = storage.put_file(bucket, "fg/ep010/plate.exr", source, metadata={"vendor": "acme"})
    head = storage.head(bucket, "fg/ep010/plate.exr")
    got = storage.get_file(bucket, "fg/ep010/plate.exr", tmp_path / "out" / "plate.exr")

    assert put.checksum == head.checksum == got.checksum == xxh3(data)
    assert head.size == size
    assert head.metadata[CHECKSUM_METADATA_KEY] == xxh3(data)
    assert head.metadata["vendor"] == "acme"
    assert (tmp_path / "out" / "plate.exr").read_bytes() == data


def test_staged_files_commit_to_complete_verified_objects(
    storage: Storage, bucket: str, tmp_path: Path
) -> None:
    blobs = [b"", os.urandom(1000), os.urandom(300_000)]
    sources = [write(tmp_path / "seq" / f"f.{i}.exr", d) for i, d in enumerate(blobs)]

    staged = [storage.stage_file(bucket, f"seq/f.{i}.exr", p) for i, p in enumerate(sources)]
    results = storage.commit(staged)

    assert results == [item.info for item in staged]
    for item, data in zip(staged, blobs, strict=True):
        assert item.info.checksum == xxh3(data) and item.info.size == len(data)
        assert storage.get_bytes(bucket, item.info.key) == data  # verified against its checksum


def test_a_staged_file_that_mismatches_keeps_nothing(
    storage: Storage, bucket: str, tmp_path: Path
) -> None:
    source = write(tmp_path / "a.exr", b"frame data")

    with pytest.raises(IntegrityError):
        storage.stage_file(bucket, "a.exr", source, expected_checksum="xxh3:" + "0" * 16)
    assert list(storage.list(bucket)) == []


def test_checksum_algorithm_is_selectable(storage: Storage, bucket: str, tmp_path: Path) -> None:
    data = b"frame data" * 1000
    source = write(tmp_path / "a.bin", data)

    info = storage.put_file(bucket, "a.bin", source, checksum_algorithm="sha256")

    assert info.checksum == "sha256:" + hashlib.sha256(data).hexdigest()
    assert storage.head(bucket, "a.bin").checksum == info.checksum


def test_expected_checksum_in_another_algorithm_is_verified_in_the_same_pass(
    storage: Storage, bucket: str, tmp_path: Path
) -> None:
    data = os.urandom(12 * MIB)
    source = write(tmp_path / "clip.mov", data)
    md5 = "md5:" + hashlib.md5(data).hexdigest()

    info = storage.put_file(bucket, "clip.mov", source, expected_checksum=md5)

    assert info.checksum == xxh3(data)


@pytest.mark.parametrize("size", [1000, 12 * MIB], ids=["single", "multipart"])
def test_expected_checksum_mismatch_leaves_nothing_under_the_key(
    storage: Storage, bucket: str, tmp_path: Path, size: int
) -> None:
    source = write(tmp_path / "clip.mov", os.urandom(size))
    wrong = xxh3(b"something else")

    with pytest.raises(IntegrityError, match="checksum mismatch"):
        storage.put_file(bucket, "show/clip.mov", source, expected_checksum=wrong)

    with pytest.raises(ObjectNotFound):
        storage.head(bucket, "show/clip.mov")
    assert list(storage.list(bucket)) == []


def test_rejected_put_keeps_the_previous_object(
    storage: Storage, bucket: str, tmp_path: Path
) -> None:
    storage.put_bytes(bucket, "v001.mov", b"first")
    source = write(tmp_path / "v001.mov", b"second")

    with pytest.raises(IntegrityError):
        storage.put_file(bucket, "v001.mov", source, expected_checksum=xxh3(b"nope"))

    assert storage.get_bytes(bucket, "v001.mov") == b"first"


def test_put_bytes_and_get_bytes_round_trip(storage: Storage, bucket: str) -> None:
    info = storage.put_bytes(bucket, "notes/readme.txt", b"hello", metadata={"kind": "note"})

    assert info.size == 5
    assert storage.get_bytes(bucket, "notes/readme.txt") == b"hello"
    assert storage.head(bucket, "notes/readme.txt").metadata["kind"] == "note"


def test_list_is_sorted_by_key_and_filtered_by_prefix(storage: Storage, bucket: str) -> None:
    for key in ["b/2.exr", "a.b", "a/1.exr", "b/10.exr", "a/sub/3.exr", "c"]:
        storage.put_bytes(bucket, key, key.encode())

    everything = [info.key for info in storage.list(bucket)]
    under_a = [info.key for info in storage.list(bucket, "a/")]
    starting_b = [(info.key, info.size) for info in storage.list(bucket, "b/1")]

    assert everything == ["a.b", "a/1.exr", "a/sub/3.exr", "b/10.exr", "b/2.exr", "c"]
    assert under_a == ["a/1.exr", "a/sub/3.exr"]
    assert starting_b == [("b/10.exr", len(b"b/10.exr"))]


def test_delete_removes_the_object_and_is_idempotent(storage: Storage, bucket: str) -> None:
    storage.put_bytes(bucket, "a/b/c.txt", b"x")

    storage.delete(bucket, "a/b/c.txt")
    storage.delete(bucket, "a/b/c.txt")

    with pytest.raises(ObjectNotFound):
        storage.head(bucket, "a/b/c.txt")
    assert list(storage.list(bucket)) == []


def test_missing_object_raises_object_not_found_and_writes_nothing(
    storage: Storage, bucket: str, tmp_path: Path
) -> None:
    destination = tmp_path / "out" / "missing.exr"

    with pytest.raises(ObjectNotFound):
        storage.get_file(bucket, "missing.exr", destination)
    with pytest.raises(ObjectNotFound):
        storage.get_bytes(bucket, "missing.exr")
    with pytest.raises(ObjectNotFound):
        storage.head(bucket, "missing.exr")
    assert not destination.exists()


def test_missing_bucket_raises_object_not_found(storage: Storage, tmp_path: Path) -> None:
    missing = unique_bucket("absent")
    source = write(tmp_path / "a.txt", b"a")

    with pytest.raises(ObjectNotFound):
        storage.put_file(missing, "a.txt", source)
    with pytest.raises(ObjectNotFound):
        list(storage.list(missing))


def test_ensure_bucket_is_idempotent(storage: Storage, bucket: str) -> None:
    storage.ensure_bucket(bucket)
    storage.put_bytes(bucket, "k", b"v")
    storage.ensure_bucket(bucket)

    assert storage.get_bytes(bucket, "k") == b"v"


@pytest.mark.parametrize(
    "key",
    [
        "",
        "/abs/path.exr",
        "../escape.exr",
        "a/../../b",
        "a//b",
        "a/./b",
        "dir/",
        "a\\b",
        ".onepiece-partial/x",
        "a/.onepiece-meta.b.json",
        "line\nbreak",
    ],
)
def test_invalid_keys_are_refused(storage: Storage, bucket: str, key: str, tmp_path: Path) -> None:
    source = write(tmp_path / "a.txt", b"a")

    with pytest.raises(ValidationError):
        storage.put_file(bucket, key, source)
    with pytest.raises(ValidationError):
        storage.head(bucket, key)


@pytest.mark.parametrize(
    "name", ["ab", "Upper-case", "-leading", "_leading", "trailing_", "a" * 64, "1.2.3.4"]
)
def test_invalid_bucket_names_are_refused(storage: Storage, name: str) -> None:
    with pytest.raises(ValidationError):
        storage.ensure_bucket(name)
    with pytest.raises(ValidationError):
        storage.check_bucket(name)


@pytest.mark.parametrize(
    ("name", "suggested"),
    [("vendor_in", "vendor-in"), ("client_in", "client-in"), ("fg_out_2024", "fg-out-2024")],
)
def test_underscore_buckets_are_folders_locally_and_refused_on_s3_with_a_suggestion(
    storage: Storage, tmp_path: Path, name: str, suggested: str
) -> None:
    """Issue 14 item 16: the original specification's `--vendor-bucket vendor_in`."""
    if storage.name == "s3":
        with pytest.raises(ValidationError) as caught:
            storage.check_bucket(name)
        assert f"S3 would accept {suggested!r}" in (caught.value.hint or "")
        with pytest.raises(ValidationError):
            storage.ensure_bucket(name)
        return
    assert storage.check_bucket(name) == name
    storage.ensure_bucket(name)
    source = tmp_path / "clip.mov"
    source.write_bytes(b"frames")
    storage.put_file(name, "FG/clip.mov", source)
    assert [info.key for info in storage.list(name)] == ["FG/clip.mov"]
    assert storage.get_bytes(name, "FG/clip.mov") == b"frames"


def test_unicode_keys_round_trip(storage: Storage, bucket: str) -> None:
    storage.put_bytes(bucket, "plans/été/ショット.exr", b"frame")

    assert [info.key for info in storage.list(bucket, "plans/")] == ["plans/été/ショット.exr"]
    assert storage.get_bytes(bucket, "plans/été/ショット.exr") == b"frame"


def test_progress_reports_every_byte_both_ways(
    storage: Storage, bucket: str, tmp_path: Path
) -> None:
    data = os.urandom(12 * MIB + 3)
    source = write(tmp_path / "big.bin", data)
    sent: list[int] = []
    received: list[int] = []

    storage.put_file(bucket, "big.bin", source, progress=sent.append)
    storage.get_file(bucket, "big.bin", tmp_path / "back.bin", progress=received.append)

    assert sum(sent) == sum(received) == len(data)


@pytest.mark.parametrize("size", [MIB, 12 * MIB], ids=["single", "multipart"])
def test_source_is_opened_exactly_once_even_when_verified(
    storage: Storage, bucket: str, tmp_path: Path, size: int
) -> None:
    data = os.urandom(size)
    source = write(tmp_path / "clip.mov", data)

    with file_opens.recording() as opened:
        storage.put_file(bucket, "clip.mov", source, expected_checksum=xxh3(data))

    assert opened.count(str(source)) == 1


def test_source_file_is_never_modified(storage: Storage, bucket: str, tmp_path: Path) -> None:
    source = write(tmp_path / "delivery" / "clip.mov", os.urandom(6 * MIB))
    before = (source.read_bytes(), source.stat().st_mtime_ns, source.stat().st_mode)

    storage.put_file(bucket, "clip.mov", source)

    after = (source.read_bytes(), source.stat().st_mtime_ns, source.stat().st_mode)
    assert after == before
    assert sorted(p.name for p in source.parent.iterdir()) == ["clip.mov"]


def test_missing_source_is_a_validation_error(
    storage: Storage, bucket: str, tmp_path: Path
) -> None:
    with pytest.raises(ValidationError, match="does not exist"):
        storage.put_file(bucket, "a.mov", tmp_path / "nope.mov")


def test_ping_and_describe_name_the_storage(storage: Storage) -> None:
    assert storage.describe() in storage.ping()


def test_download_to_an_impossible_destination_is_a_storage_error(
    storage: Storage, bucket: str, tmp_path: Path
) -> None:
    storage.put_bytes(bucket, "a.txt", b"a")
    blocker = write(tmp_path / "a-file", b"")

    with pytest.raises(StorageError):
        storage.get_file(bucket, "a.txt", blocker / "under-a-file.txt")


def test_parallel_puts_from_threads_all_land(storage: Storage, bucket: str, tmp_path: Path) -> None:
    sources = [write(tmp_path / f"f{i}.bin", os.urandom(64 * 1024 + i)) for i in range(16)]

    with ThreadPoolExecutor(4) as pool:
        infos = list(pool.map(lambda s: storage.put_file(bucket, f"seq/{s.name}", s), sources))

    listed = {info.key: info.size for info in storage.list(bucket, "seq/")}
    assert listed == {f"seq/{s.name}": s.stat().st_size for s in sources}
    assert all(
        info.checksum == xxh3(s.read_bytes()) for info, s in zip(infos, sources, strict=True)
    )


def test_concurrent_writers_of_one_key_leave_one_consistent_object(
    storage: Storage, bucket: str, tmp_path: Path
) -> None:
    """Last writer wins; data and checksum always come from the same writer."""
    sources = [write(tmp_path / f"take{i}.mov", bytes([i]) * (64 * 1024)) for i in range(3)]
    contents = {s.read_bytes() for s in sources}
    start = threading.Barrier(len(sources))

    def put(source: Path) -> None:
        start.wait()
        storage.put_file(bucket, "shot/v001.mov", source)

    with ThreadPoolExecutor(len(sources)) as pool:
        for _ in range(15):  # rounds: the race is in how each round ends
            list(pool.map(put, sources))
            data = storage.get_bytes(bucket, "shot/v001.mov")  # verified against its checksum
            assert data in contents
            assert storage.head(bucket, "shot/v001.mov").checksum == xxh3(data)
