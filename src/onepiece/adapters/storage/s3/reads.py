"""Reading S3 objects back, each verified against the checksum recorded when it was written.

botocore errors are left to the caller (``S3Storage``) to translate.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from onepiece.adapters.storage.base import CHECKSUM_METADATA_KEY, ObjectInfo, Progress
from onepiece.adapters.storage.streaming import CHUNK_SIZE, ChecksumTee, TempFile, os_errors
from onepiece.domain.bucket_names import PARTIAL_PREFIX
from onepiece.errors import IntegrityError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


def download(
    client: S3Client, uri: str, bucket: str, key: str, destination: Path, progress: Progress | None
) -> ObjectInfo:
    """The object into ``destination`` (whole and verified, or not at all)."""
    response = client.get_object(Bucket=bucket, Key=key)
    info = object_info(bucket, key, response)
    tee = ChecksumTee.for_recorded(info.checksum)
    body = response["Body"]
    with (
        body,
        os_errors(f"cannot write {destination}"),
        TempFile(Path(destination)) as sink,
    ):
        size = 0
        for chunk in body.iter_chunks(CHUNK_SIZE):
            if tee is not None:
                tee.update(chunk)
            sink.write(chunk)
            size += len(chunk)
            if progress is not None:
                progress(len(chunk))
        verify(uri, info, size, tee)
        sink.publish()
    return info


def read_all(client: S3Client, uri: str, bucket: str, key: str) -> bytes:
    response = client.get_object(Bucket=bucket, Key=key)
    with response["Body"] as body:
        data = body.read()
    info = object_info(bucket, key, response)
    tee = ChecksumTee.for_recorded(info.checksum)
    if tee is not None:
        tee.update(data)
    verify(uri, info, len(data), tee)
    return data


def listed(client: S3Client, bucket: str, prefix: str) -> Iterator[ObjectInfo]:
    """Objects under ``prefix`` sorted by key, without checksums (listings carry no metadata)."""
    paginator = client.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            if item["Key"].startswith(PARTIAL_PREFIX):
                continue
            yield ObjectInfo(bucket, item["Key"], item["Size"], None, item.get("LastModified"))


def object_info(bucket: str, key: str, response: Any) -> ObjectInfo:
    metadata = dict(response.get("Metadata") or {})
    return ObjectInfo(
        bucket=bucket,
        key=key,
        size=int(response["ContentLength"]),
        checksum=metadata.get(CHECKSUM_METADATA_KEY),
        modified=response.get("LastModified"),
        metadata=metadata,
    )


def verify(uri: str, info: ObjectInfo, size: int, tee: ChecksumTee | None) -> None:
    if size != info.size:
        raise IntegrityError(f"{uri}: received {size} bytes of {info.size}", hint="retry")
    if tee is not None:
        tee.verify(uri)
