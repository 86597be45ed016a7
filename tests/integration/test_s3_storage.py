"""S3 adapter behaviour beyond the contract, against moto's server on loopback."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import xxhash
from botocore.awsrequest import AWSPreparedRequest

from onepiece.adapters.storage.s3.storage import S3Storage, create
from onepiece.config import load_config
from onepiece.domain.bucket_names import PARTIAL_PREFIX
from onepiece.errors import (
    ConfigError,
    IntegrityError,
    ObjectConflict,
    ObjectNotFound,
    StorageUnavailable,
)
from tests.s3_endpoint import S3Endpoint, closed_port_url, unique_bucket

MIB = 1024 * 1024


@pytest.fixture
def s3(s3_endpoint_url: str) -> S3Storage:
    return S3Storage(
        endpoint_url=s3_endpoint_url, region="us-east-1", part_size=5 * MIB, single_put_max=5 * MIB
    )


@pytest.fixture
def bucket(s3: S3Storage) -> str:
    name = unique_bucket("s3")
    s3.ensure_bucket(name)
    return name


def all_keys(endpoint: S3Endpoint, bucket: str) -> list[str]:
    """Every key in the bucket, temporaries included (our listing hides them)."""
    response = endpoint.client().list_objects_v2(Bucket=bucket)
    return [item["Key"] for item in response.get("Contents", [])]


def open_uploads(endpoint: S3Endpoint, bucket: str) -> list[str]:
    response = endpoint.client().list_multipart_uploads(Bucket=bucket)
    return [upload["Key"] for upload in response.get("Uploads", [])]


def test_64_mib_object_goes_up_in_parts_and_comes_back_verified(
    s3_endpoint_url: str, s3_server: S3Endpoint, tmp_path: Path
) -> None:
    s3 = S3Storage(
        endpoint_url=s3_endpoint_url,
        part_size=5 * MIB,
        single_put_max=5 * MIB,
        multipart_copy_min=32 * MIB,  # copied into place part by part, as past 5 GiB
    )
    bucket = unique_bucket("big")
    s3.ensure_bucket(bucket)
    data = os.urandom(64 * MIB)
    source = tmp_path / "shot_v001.mov"
    source.write_bytes(data)
    expected = "xxh3:" + xxhash.xxh3_64_hexdigest(data)

    sent: list[int] = []

    put = s3.put_file(
        bucket, "fg/ep010/shot_v001.mov", source, expected_checksum=expected, progress=sent.append
    )
    head = s3.head(bucket, "fg/ep010/shot_v001.mov")
    got = s3.get_file(bucket, "fg/ep010/shot_v001.mov", tmp_path / "back.mov")

    assert put.checksum == head.checksum == got.checksum == expected
    assert head.size == 64 * MIB
    assert xxhash.xxh3_64_hexdigest((tmp_path / "back.mov").read_bytes()) == expected[5:]
    # Uploaded in 5 MiB parts, then copied into place part by part (UploadPartCopy,
    # the path objects over 5 GiB need): a multipart ETag ends in "-<parts>".
    assert sorted(sent, reverse=True)[:12] == [5 * MIB] * 12 and len(sent) == 13
    etag = s3_server.client().head_object(Bucket=bucket, Key="fg/ep010/shot_v001.mov")["ETag"]
    assert "-" in etag
    assert all_keys(s3_server, bucket) == ["fg/ep010/shot_v001.mov"]
    assert open_uploads(s3_server, bucket) == []


def test_multipart_checksum_mismatch_aborts_and_leaves_no_temporaries(
    s3: S3Storage, bucket: str, s3_server: S3Endpoint, tmp_path: Path
) -> None:
    source = tmp_path / "clip.mov"
    source.write_bytes(os.urandom(11 * MIB))

    with pytest.raises(IntegrityError):
        s3.put_file(bucket, "clip.mov", source, expected_checksum="xxh3:" + "0" * 16)

    assert all_keys(s3_server, bucket) == []
    assert open_uploads(s3_server, bucket) == []


def test_interrupted_multipart_upload_is_aborted(
    s3: S3Storage, bucket: str, s3_server: S3Endpoint, tmp_path: Path
) -> None:
    source = tmp_path / "clip.mov"
    source.write_bytes(os.urandom(16 * MIB))

    def interrupt(sent: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        s3.put_file(bucket, "clip.mov", source, progress=interrupt)

    assert all_keys(s3_server, bucket) == []
    assert open_uploads(s3_server, bucket) == []


def test_files_up_to_the_single_request_limit_go_in_one_put(
    s3_endpoint_url: str, tmp_path: Path
) -> None:
    storage = S3Storage(endpoint_url=s3_endpoint_url, part_size=5 * MIB, single_put_max=8 * MIB)
    bucket = unique_bucket("single")
    storage.ensure_bucket(bucket)
    requests: dict[str, list[int]] = {}
    for name, size in [("at-limit.bin", 8 * MIB), ("past-limit.bin", 8 * MIB + 1)]:
        (tmp_path / name).write_bytes(os.urandom(size))
        requests[name] = []
        storage.put_file(bucket, name, tmp_path / name, progress=requests[name].append)

    # Progress is reported per request: one PUT, or one call per 5 MiB part
    # (parts finish in any order).
    assert requests["at-limit.bin"] == [8 * MIB]
    assert sorted(requests["past-limit.bin"]) == [3 * MIB + 1, 5 * MIB]
    for name in requests:
        assert storage.get_bytes(bucket, name) == (tmp_path / name).read_bytes()


def test_temporary_objects_are_hidden_from_listings(
    s3: S3Storage, bucket: str, s3_server: S3Endpoint
) -> None:
    raw = s3_server.client()
    raw.put_object(Bucket=bucket, Key=f"{PARTIAL_PREFIX}abc/clip.mov", Body=b"partial")
    s3.put_bytes(bucket, "clip.mov", b"whole")

    assert [info.key for info in s3.list(bucket)] == ["clip.mov"]


def test_get_refuses_data_that_does_not_match_its_recorded_checksum(
    s3: S3Storage, bucket: str, s3_server: S3Endpoint, tmp_path: Path
) -> None:
    s3_server.client().put_object(
        Bucket=bucket,
        Key="bad.exr",
        Body=b"corrupted",
        Metadata={"checksum": "xxh3:" + xxhash.xxh3_64_hexdigest(b"original")},
    )

    with pytest.raises(IntegrityError, match="checksum mismatch"):
        s3.get_file(bucket, "bad.exr", tmp_path / "bad.exr")
    with pytest.raises(IntegrityError):
        s3.get_bytes(bucket, "bad.exr")
    assert not (tmp_path / "bad.exr").exists()
    assert list(tmp_path.iterdir()) == []


def test_objects_written_by_other_tools_download_without_a_checksum(
    s3: S3Storage, bucket: str, s3_server: S3Endpoint, tmp_path: Path
) -> None:
    s3_server.client().put_object(Bucket=bucket, Key="foreign.txt", Body=b"hi")

    info = s3.get_file(bucket, "foreign.txt", tmp_path / "foreign.txt")

    assert info.checksum is None
    assert (tmp_path / "foreign.txt").read_bytes() == b"hi"


def test_create_reads_endpoint_part_size_and_concurrency_from_settings(
    s3_endpoint_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ONEPIECE_STORAGE_BACKEND", "s3")
    monkeypatch.setenv("ONEPIECE_STORAGE_ENDPOINT_URL", s3_endpoint_url)
    monkeypatch.setenv("ONEPIECE_STORAGE_PART_SIZE_MB", "7")
    monkeypatch.setenv("ONEPIECE_STORAGE_CONCURRENCY", "3")

    storage = create(load_config().settings)
    bucket = unique_bucket("settings")
    storage.ensure_bucket(bucket)
    storage.put_bytes(bucket, "k", b"v")

    assert (storage.endpoint_url, storage.part_size, storage.concurrency) == (
        s3_endpoint_url,
        7 * MIB,
        3,
    )
    assert storage.get_bytes(bucket, "k") == b"v"


def test_unreachable_endpoint_is_storage_unavailable_naming_the_endpoint(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = closed_port_url()
    storage = S3Storage(endpoint_url=url, max_attempts=2)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "x")

    with pytest.raises(StorageUnavailable, match=url):
        storage.ping()
    with pytest.raises(StorageUnavailable, match=url):
        storage.head("some-bucket", "key")


def test_missing_credentials_are_a_config_error_with_a_hint(s3_server: S3Endpoint) -> None:
    storage = S3Storage(endpoint_url=s3_server.url, max_attempts=1)

    with pytest.raises(ConfigError) as caught:
        storage.head("some-bucket", "key")
    assert caught.value.hint is not None and "AWS_PROFILE" in caught.value.hint


def test_unknown_profile_is_a_config_error(s3_server: S3Endpoint) -> None:
    storage = S3Storage(endpoint_url=s3_server.url, profile="no-such-profile")

    with pytest.raises(ConfigError, match="no-such-profile"):
        storage.ping()


def test_profile_from_aws_config_supplies_credentials(
    s3_server: S3Endpoint, isolated_env: Path
) -> None:
    aws = isolated_env / ".aws"
    aws.mkdir()
    (aws / "credentials").write_text(
        f"[studio]\naws_access_key_id = {s3_server.access_key}\n"
        f"aws_secret_access_key = {s3_server.secret_key}\n"
    )
    storage = S3Storage(endpoint_url=s3_server.url, profile="studio", region="us-east-1")
    bucket = unique_bucket("profile")

    storage.ensure_bucket(bucket)

    assert storage.ping() == f"s3 {s3_server.url}"


def test_head_of_a_missing_bucket_is_object_not_found(s3: S3Storage) -> None:
    with pytest.raises(ObjectNotFound):
        s3.head(unique_bucket("absent"), "key")


def test_small_bodies_go_up_without_waiting_for_100_continue(
    s3: S3Storage, bucket: str, tmp_path: Path
) -> None:
    """botocore waits for the server's "100 Continue" before each body: a round trip
    per frame of a sequence. Only bodies of 2 MiB and more still ask first."""
    sent: list[tuple[str, int, str | None]] = []

    def record(request: AWSPreparedRequest, **_: object) -> None:
        if request.method == "PUT":
            expect = request.headers.get("Expect")
            name = request.url.rsplit("/", 1)[-1]
            sent.append((name, int(request.headers["Content-Length"]), expect and expect.decode()))

    s3.client.meta.events.register("before-send.s3", record)
    sizes = {"empty": 0, "frame": 64 * 1024, "just-under": 2 * MIB - 1, "clip": 3 * MIB}
    for name, size in sizes.items():
        source = tmp_path / name
        source.write_bytes(os.urandom(size))
        stored = s3.put_file(bucket, f"in/{name}", source)
        assert stored.size == size
        assert s3.head(bucket, f"in/{name}").checksum == stored.checksum
    expects = {name: expect for name, _size, expect in sent}
    assert expects == {"empty": None, "frame": None, "just-under": None, "clip": "100-continue"}


# An ingest's staging never replaces other content stored at its key meanwhile
# (no_overwrite.py); moto honours ``If-None-Match``.


def _file(tmp_path: Path, name: str, size: int) -> Path:
    path = tmp_path / name
    path.write_bytes(os.urandom(size))
    return path


@pytest.mark.parametrize("size", [64 * 1024, 7 * MIB], ids=["one request", "multipart"])
def test_staging_over_other_content_stored_meanwhile_is_refused(
    s3: S3Storage, bucket: str, tmp_path: Path, size: int
) -> None:
    theirs = s3.put_file(bucket, "plates/a.exr", _file(tmp_path, "theirs", size))
    with pytest.raises(ObjectConflict, match="not overwritten"):
        s3.stage_file(bucket, "plates/a.exr", _file(tmp_path, "ours", size))
    assert s3.head(bucket, "plates/a.exr").checksum == theirs.checksum
    assert [o.key for o in s3.list(bucket)] == ["plates/a.exr"]  # no temporary left


@pytest.mark.parametrize("size", [64 * 1024, 7 * MIB], ids=["one request", "multipart"])
def test_staging_the_same_bytes_again_is_stored(
    s3: S3Storage, bucket: str, tmp_path: Path, size: int
) -> None:
    source = _file(tmp_path, "frame", size)
    first = s3.put_file(bucket, "plates/a.exr", source)
    again = s3.stage_file(bucket, "plates/a.exr", source).info
    assert (again.checksum, again.size) == (first.checksum, first.size)
    assert s3.get_bytes(bucket, "plates/a.exr") == source.read_bytes()


def test_an_object_without_our_record_is_replaced(
    s3: S3Storage, bucket: str, tmp_path: Path
) -> None:
    s3.client.put_object(Bucket=bucket, Key="plates/a.exr", Body=b"not written by OnePiece")
    source = _file(tmp_path, "frame", 4096)
    staged = s3.stage_file(bucket, "plates/a.exr", source)
    assert s3.head(bucket, "plates/a.exr").checksum == staged.info.checksum
    assert s3.get_bytes(bucket, "plates/a.exr") == source.read_bytes()


def test_put_file_still_replaces(s3: S3Storage, bucket: str, tmp_path: Path) -> None:
    """Only an ingest's staging refuses: a plain put (publish, sync) replaces, as before."""
    s3.put_file(bucket, "k", _file(tmp_path, "one", 1000))
    second = s3.put_file(bucket, "k", _file(tmp_path, "two", 1000))
    assert s3.head(bucket, "k").checksum == second.checksum
