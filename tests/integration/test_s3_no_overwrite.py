"""An ingest's staging on S3 never replaces other content stored at its key
meanwhile (no_overwrite.py), against moto's server (it honours ``If-None-Match``)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from onepiece.adapters.storage.s3.storage import S3Storage
from onepiece.errors import ObjectConflict
from tests.s3_endpoint import unique_bucket

MIB = 1024 * 1024


@pytest.fixture
def s3(s3_endpoint_url: str) -> S3Storage:
    return S3Storage(
        endpoint_url=s3_endpoint_url, region="us-east-1", part_size=5 * MIB, single_put_max=5 * MIB
    )


@pytest.fixture
def bucket(s3: S3Storage) -> str:
    name = unique_bucket()
    s3.ensure_bucket(name)
    return name


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
