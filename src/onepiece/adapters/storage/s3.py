"""S3 storage through boto3/s3transfer (AWS, MinIO, Ceph, any S3 endpoint).

The checksum lives in the object's metadata, and S3 fixes metadata when an
upload starts, while the checksum is only known once the file has been read.
Reading the file twice is not an option, so (docs/decisions.md, "S3 storage"):

- files up to one part are read into memory once, hashed, and sent with one
  ``put_object`` that carries the checksum;
- larger files go by multipart upload (read once, hashed part by part, parts
  sent concurrently) to a temporary key under ``.onepiece-partial/``, then a
  server-side copy (``MetadataDirective=REPLACE``, multipart copy past 5 GiB)
  puts them under their key with the checksum, and the temporary is deleted.

Either way the final key only ever holds a complete, verified object with its
checksum. boto3 is imported lazily: nothing connects until first used.
"""

from __future__ import annotations

import io
import logging
import os
import threading
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from onepiece.adapters.storage import s3_errors
from onepiece.adapters.storage.base import CHECKSUM_METADATA_KEY, ObjectInfo, Progress
from onepiece.adapters.storage.naming import (
    PARTIAL_PREFIX,
    validate_bucket,
    validate_key,
    validate_metadata,
    validate_prefix,
)
from onepiece.adapters.storage.s3_multipart import (
    MultipartUpload,
    part_size_for,
    read_part,
)
from onepiece.adapters.storage.streaming import CHUNK_SIZE, ChecksumTee, TempFile, open_source
from onepiece.errors import ConfigError, IntegrityError, StorageError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

    from onepiece.config import Settings

log = logging.getLogger(__name__)

MIB = 1024 * 1024
# Server-side copies below this size are one CopyObject; above, parallel
# UploadPartCopy calls of this size (S3 caps a single copy at 5 GiB).
MIN_COPY_PART = 64 * MIB


def create(settings: Settings) -> S3Storage:
    config = settings.storage
    return S3Storage(
        endpoint_url=config.endpoint_url,
        region=config.region,
        profile=config.aws_profile,
        part_size=config.part_size_mb * MIB,
        concurrency=config.concurrency,
    )


class S3Storage:
    """Buckets and objects on an S3 endpoint; see the module docstring for uploads."""

    name = "s3"

    def __init__(
        self,
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        profile: str | None = None,
        part_size: int = 16 * MIB,
        concurrency: int = 8,
        max_attempts: int = 5,
        connect_timeout: float = 5.0,
        read_timeout: float = 60.0,
    ) -> None:
        if part_size < 5 * MIB:
            raise ConfigError("S3 part size must be at least 5 MiB (storage.part_size_mb >= 5)")
        self.endpoint_url = endpoint_url
        self.region = region
        self.profile = profile
        self.part_size = part_size
        self.concurrency = concurrency
        self.max_attempts = max_attempts
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self._client: S3Client | None = None
        self._lock = threading.Lock()

    # -- where things are -------------------------------------------------

    def describe(self) -> str:
        return self.endpoint_url or f"AWS ({self.region or 'default region'})"

    def uri(self, bucket: str, key: str) -> str:
        return f"s3://{validate_bucket(bucket)}/{validate_key(key)}"

    @property
    def client(self) -> S3Client:
        """The shared client (thread-safe), created on first use."""
        with self._lock:
            if self._client is None:
                self._client = self.make_client(
                    max_attempts=self.max_attempts,
                    connect_timeout=self.connect_timeout,
                    read_timeout=self.read_timeout,
                )
            return self._client

    def make_client(
        self, *, max_attempts: int, connect_timeout: float, read_timeout: float
    ) -> S3Client:
        import boto3  # noqa: TID251 - heavy SDK, loaded only when S3 is used
        from botocore.config import Config

        options: dict[str, Any] = {}
        if self.endpoint_url:
            # S3-compatible servers (MinIO, Ceph, moto) expect path-style URLs and
            # may reject the SDK's newer default transport checksums; our own
            # checksum is verified end to end on every get.
            options["s3"] = {"addressing_style": "path"}
            options["request_checksum_calculation"] = "when_required"
            options["response_checksum_validation"] = "when_required"
        config = Config(
            retries={"mode": "standard", "max_attempts": max_attempts},
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            max_pool_connections=max(32, self.concurrency * 4),
            tcp_keepalive=True,
            **options,
        )
        with s3_errors.mapped(self.describe()):
            try:
                session = boto3.Session(profile_name=self.profile, region_name=self.region)
                return session.client("s3", endpoint_url=self.endpoint_url, config=config)
            except ValueError as exc:  # botocore's "Invalid endpoint"
                raise ConfigError(
                    f"invalid S3 endpoint {self.endpoint_url!r}: {exc}",
                    hint="set storage.endpoint_url to a URL such as http://127.0.0.1:9000",
                ) from exc

    def ping(self) -> str:
        """Fail fast: one attempt, short timeouts (``onepiece info --check``)."""
        from botocore.exceptions import ClientError

        probe = self.make_client(max_attempts=1, connect_timeout=2.0, read_timeout=5.0)
        with s3_errors.mapped(self.describe()):
            try:
                probe.list_buckets()
            except ClientError as exc:
                if _error_code(exc) != "AccessDenied":
                    raise
                # Reachable and authenticated; the credentials just may not list.
                return f"s3 {self.describe()} (reachable; listing buckets is not allowed)"
        return f"s3 {self.describe()}"

    def ensure_bucket(self, bucket: str) -> None:
        """Create the bucket unless it exists (and is ours)."""
        from botocore.exceptions import ClientError

        validate_bucket(bucket)
        with s3_errors.mapped(self.describe(), bucket):
            try:
                self.client.head_bucket(Bucket=bucket)
                return
            except ClientError as exc:
                if _error_code(exc) not in ("404", "NoSuchBucket", "NotFound"):
                    raise
            region = self.client.meta.region_name
            arguments: dict[str, Any] = {"Bucket": bucket}
            if region and region != "us-east-1":
                arguments["CreateBucketConfiguration"] = {"LocationConstraint": region}
            try:
                self.client.create_bucket(**arguments)
            except ClientError as exc:
                code = _error_code(exc)
                if code == "BucketAlreadyExists":
                    raise StorageError(
                        f"bucket {bucket!r} already exists and belongs to another account",
                        hint="bucket names are global on AWS: choose another name",
                    ) from exc
                if code != "BucketAlreadyOwnedByYou":  # a concurrent create by us is fine
                    raise

    # -- writes -----------------------------------------------------------

    def put_file(
        self,
        bucket: str,
        key: str,
        source: Path,
        *,
        checksum_algorithm: str = "xxh3",
        expected_checksum: str | None = None,
        metadata: Mapping[str, str] | None = None,
        progress: Progress | None = None,
    ) -> ObjectInfo:
        uri = self.uri(bucket, key)
        user_metadata = validate_metadata(metadata)
        tee = ChecksumTee(checksum_algorithm, expected_checksum)
        with open_source(Path(source)) as reader:
            part_size = part_size_for(_size_hint(reader), self.part_size)
            first = read_part(reader, part_size)
            second = read_part(reader, part_size) if len(first) == part_size else b""
            if not second:
                tee.update(first)
                tee.verify(uri)
                info = self._put_object(bucket, key, first, tee.checksum(), user_metadata)
                if progress is not None:
                    progress(len(first))
                return info
            return self._put_multipart(
                bucket, key, [first, second], reader, part_size, tee, user_metadata, progress
            )

    def put_bytes(
        self, bucket: str, key: str, data: bytes, *, metadata: Mapping[str, str] | None = None
    ) -> ObjectInfo:
        self.uri(bucket, key)
        tee = ChecksumTee("xxh3")
        tee.update(data)
        return self._put_object(bucket, key, data, tee.checksum(), validate_metadata(metadata))

    def _put_object(
        self, bucket: str, key: str, data: bytes, checksum: str, user_metadata: dict[str, str]
    ) -> ObjectInfo:
        object_metadata = {**user_metadata, CHECKSUM_METADATA_KEY: checksum}
        with s3_errors.mapped(self.describe(), bucket, key):
            self.client.put_object(Bucket=bucket, Key=key, Body=data, Metadata=object_metadata)
        return ObjectInfo(bucket, key, len(data), checksum, None, object_metadata)

    def _put_multipart(
        self,
        bucket: str,
        key: str,
        first_parts: list[bytes],
        reader: io.FileIO,
        part_size: int,
        tee: ChecksumTee,
        user_metadata: dict[str, str],
        progress: Progress | None,
    ) -> ObjectInfo:
        from boto3.s3.transfer import TransferConfig  # noqa: TID251

        temp_key = f"{PARTIAL_PREFIX}{uuid.uuid4().hex}/{key}"
        endpoint = self.describe()
        with s3_errors.mapped(endpoint, bucket, key):
            with MultipartUpload(self.client, bucket, temp_key, user_metadata) as upload:
                size = upload.send(first_parts, reader, part_size, self.concurrency, tee, progress)
                tee.verify(self.uri(bucket, key))  # mismatch: the upload is aborted
                upload.complete()
            checksum = tee.checksum()
            object_metadata = {**user_metadata, CHECKSUM_METADATA_KEY: checksum}
            copy_part = max(part_size, MIN_COPY_PART)
            try:
                self.client.copy(
                    CopySource={"Bucket": bucket, "Key": temp_key},
                    Bucket=bucket,
                    Key=key,
                    ExtraArgs={"Metadata": object_metadata, "MetadataDirective": "REPLACE"},
                    Config=TransferConfig(
                        multipart_threshold=copy_part,
                        multipart_chunksize=copy_part,
                        max_concurrency=self.concurrency,
                    ),
                )
            finally:
                self._discard(bucket, temp_key)
        return ObjectInfo(bucket, key, size, checksum, None, object_metadata)

    def _discard(self, bucket: str, temp_key: str) -> None:
        """Delete a temporary object; a failure is logged, never raised over the result."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.delete_object(Bucket=bucket, Key=temp_key)
        except (BotoCoreError, ClientError) as exc:
            log.warning("could not delete temporary s3://%s/%s: %s", bucket, temp_key, exc)

    def delete(self, bucket: str, key: str) -> None:
        """Remove the object; deleting a missing object is not an error."""
        self.uri(bucket, key)
        with s3_errors.mapped(self.describe(), bucket, key):
            self.client.delete_object(Bucket=bucket, Key=key)

    # -- reads ------------------------------------------------------------

    def head(self, bucket: str, key: str) -> ObjectInfo:
        self.uri(bucket, key)
        with s3_errors.mapped(self.describe(), bucket, key):
            response = self.client.head_object(Bucket=bucket, Key=key)
        return _info(bucket, key, response)

    def get_file(
        self, bucket: str, key: str, destination: Path, *, progress: Progress | None = None
    ) -> ObjectInfo:
        uri = self.uri(bucket, key)
        with s3_errors.mapped(self.describe(), bucket, key):
            response = self.client.get_object(Bucket=bucket, Key=key)
            info = _info(bucket, key, response)
            tee = ChecksumTee.for_recorded(info.checksum)
            body = response["Body"]
            with body, TempFile(Path(destination)) as sink:
                size = 0
                for chunk in body.iter_chunks(CHUNK_SIZE):
                    if tee is not None:
                        tee.update(chunk)
                    sink.write(chunk)
                    size += len(chunk)
                    if progress is not None:
                        progress(len(chunk))
                _verify(uri, info, size, tee)
                sink.publish()
        return info

    def get_bytes(self, bucket: str, key: str) -> bytes:
        uri = self.uri(bucket, key)
        with s3_errors.mapped(self.describe(), bucket, key):
            response = self.client.get_object(Bucket=bucket, Key=key)
            with response["Body"] as body:
                data = body.read()
        info = _info(bucket, key, response)
        tee = ChecksumTee.for_recorded(info.checksum)
        if tee is not None:
            tee.update(data)
        _verify(uri, info, len(data), tee)
        return data

    def list(self, bucket: str, prefix: str = "") -> Iterator[ObjectInfo]:
        """Objects under ``prefix`` sorted by key; S3 listings carry no metadata,
        so ``checksum`` is None here: ``head()`` an object for it."""
        validate_bucket(bucket)
        validate_prefix(prefix)
        paginator = self.client.get_paginator("list_objects_v2")
        with s3_errors.mapped(self.describe(), bucket):
            for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
                for item in page.get("Contents", []):
                    if item["Key"].startswith(PARTIAL_PREFIX):
                        continue
                    yield ObjectInfo(
                        bucket, item["Key"], item["Size"], None, item.get("LastModified")
                    )


def _size_hint(reader: io.FileIO) -> int:
    return os.fstat(reader.fileno()).st_size


def _error_code(exc: Any) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _info(bucket: str, key: str, response: Any) -> ObjectInfo:
    metadata = dict(response.get("Metadata") or {})
    return ObjectInfo(
        bucket=bucket,
        key=key,
        size=int(response["ContentLength"]),
        checksum=metadata.get(CHECKSUM_METADATA_KEY),
        modified=response.get("LastModified"),
        metadata=metadata,
    )


def _verify(uri: str, info: ObjectInfo, size: int, tee: ChecksumTee | None) -> None:
    if size != info.size:
        raise IntegrityError(f"{uri}: received {size} bytes of {info.size}", hint="retry")
    if tee is not None:
        tee.verify(uri)
