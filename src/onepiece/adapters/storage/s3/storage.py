"""S3 storage through boto3/s3transfer (AWS, MinIO, Ceph, any S3 endpoint).

The checksum lives in the object's metadata, and S3 fixes metadata when an
upload starts, while the checksum is only known once the file has been read.
Reading the file twice is not an option, so (docs/decisions.md, "S3 storage"):

- files up to ``single_put_max`` (64 MiB, or one part if larger) are read
  into memory once, hashed, and sent with one ``put_object`` that carries the
  checksum;
- larger files go by multipart upload (read once, hashed part by part, parts
  sent concurrently) to a temporary key under ``.onepiece-partial/``, then a
  server-side copy (``MetadataDirective=REPLACE``, in parallel parts past 256 MiB)
  puts them under their key with the checksum, and the temporary is deleted.

Either way the final key only ever holds a complete, verified object with its
checksum. boto3 is imported lazily: nothing connects until first used.
"""

from __future__ import annotations

import io
import os
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from onepiece.adapters.storage.base import (
    CHECKSUM_METADATA_KEY,
    ObjectInfo,
    Progress,
    StagedObject,
)
from onepiece.adapters.storage.s3 import errors as s3_errors
from onepiece.adapters.storage.s3.client import (
    create_bucket_if_missing,
    make_client,
    probe_buckets,
)
from onepiece.adapters.storage.s3.multipart import (
    Source,
    part_size_for,
    read_part,
    upload_through_temporary,
)
from onepiece.adapters.storage.s3.no_overwrite import put_new, refuse_other_content
from onepiece.adapters.storage.s3.reads import download, listed, object_info, read_all
from onepiece.adapters.storage.streaming import (
    ChecksumTee,
    advise_sequential,
    open_source,
    os_errors,
)
from onepiece.domain.bucket_names import (
    validate_bucket,
    validate_key,
    validate_metadata,
    validate_prefix,
)
from onepiece.errors import ConfigError, StorageError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

    from onepiece.config import Settings

MIB = 1024 * 1024
# Files up to this size (or one part, if larger) are read into memory once and
# sent in one PUT: a multipart upload would cost a server-side copy as well.
# s5cmd draws the same line at 50 MiB.
SINGLE_PUT_MAX = 64 * MIB
# Moving an upload into place: one CopyObject up to this size (cheapest on
# self-hosted servers), parallel UploadPartCopy calls above it (faster on AWS
# for big objects, and required past S3's 5 GiB CopyObject limit).
MULTIPART_COPY_MIN = 256 * MIB


def create(settings: Settings) -> S3Storage:
    config = settings.storage
    return S3Storage(
        endpoint_url=config.endpoint_url,
        region=config.region,
        profile=config.aws_profile,
        part_size=config.part_size_mb * MIB,
        concurrency=config.concurrency,
        max_attempts=config.max_attempts,
        connect_timeout=config.connect_timeout_seconds,
        read_timeout=config.read_timeout_seconds,
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
        single_put_max: int | None = None,
        multipart_copy_min: int = MULTIPART_COPY_MIN,
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
        # Files up to this size go in one request (no temporary key, no copy).
        if single_put_max is None:
            single_put_max = max(part_size, SINGLE_PUT_MAX)
        self.single_put_max = single_put_max
        self.multipart_copy_min = multipart_copy_min
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
        return make_client(
            endpoint_url=self.endpoint_url,
            region=self.region,
            profile=self.profile,
            max_pool_connections=max(32, self.concurrency * 4),
            max_attempts=max_attempts,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
        )

    def ping(self) -> str:
        """Fail fast: one attempt, short timeouts (``onepiece info --check``)."""
        probe = self.make_client(max_attempts=1, connect_timeout=2.0, read_timeout=5.0)
        return f"s3 {self.describe()}{probe_buckets(probe, self.describe())}"

    def check_bucket(self, bucket: str) -> str:
        return validate_bucket(bucket)

    def ensure_bucket(self, bucket: str) -> None:
        """Create the bucket unless it exists (and is ours)."""
        create_bucket_if_missing(self.client, validate_bucket(bucket), self.describe())

    # -- writes -----------------------------------------------------------

    def put_file(
        self,
        bucket: str,
        key: str,
        source: Path,
        *,
        checksum_algorithm: str = "xxh3",
        expected_checksum: str | Sequence[str] | None = None,
        metadata: Mapping[str, str] | None = None,
        progress: Progress | None = None,
    ) -> ObjectInfo:
        return self._send(
            bucket, key, source, checksum_algorithm, expected_checksum, metadata, progress, False
        )

    # An acknowledged S3 PUT is complete and durable: staging is putting. An
    # ingest's staging never replaces other content (no_overwrite.py).
    def stage_file(
        self,
        bucket: str,
        key: str,
        source: Path,
        *,
        checksum_algorithm: str = "xxh3",
        expected_checksum: str | Sequence[str] | None = None,
        metadata: Mapping[str, str] | None = None,
        progress: Progress | None = None,
    ) -> StagedObject:
        info = self._send(
            bucket, key, source, checksum_algorithm, expected_checksum, metadata, progress, True
        )
        return StagedObject(info)

    def _send(
        self,
        bucket: str,
        key: str,
        source: Path,
        checksum_algorithm: str,
        expected_checksum: str | Sequence[str] | None,
        metadata: Mapping[str, str] | None,
        progress: Progress | None,
        new_only: bool,
    ) -> ObjectInfo:
        uri = self.uri(bucket, key)
        user_metadata = validate_metadata(metadata)
        tee = ChecksumTee(checksum_algorithm, expected_checksum)
        with os_errors(f"cannot read {source}"), open_source(Path(source)) as reader:
            advise_sequential(reader)
            # Read one byte past the single-request limit: the file itself, not a
            # stat that may be stale, decides which way it goes.
            head = read_part(reader, self.single_put_max + 1)
            if len(head) <= self.single_put_max:
                tee.update(head)
                tee.verify(uri)
                info = self._put_object(
                    bucket, key, head, tee.checksum(), user_metadata, new_only=new_only
                )
                if progress is not None:
                    progress(len(head))
                return info
            part_size = part_size_for(_size_hint(reader), self.part_size)
            source_parts = Source(head, reader, part_size, tee, progress)
            return self._put_multipart(bucket, key, source_parts, user_metadata, new_only)

    def commit(self, staged: Sequence[StagedObject]) -> list[ObjectInfo | StorageError]:
        return [item.info for item in staged]

    def discard(self, staged: Sequence[StagedObject]) -> None:
        """Nothing to undo: a staged object is already a complete object."""

    def put_bytes(
        self, bucket: str, key: str, data: bytes, *, metadata: Mapping[str, str] | None = None
    ) -> ObjectInfo:
        self.uri(bucket, key)
        tee = ChecksumTee("xxh3")
        tee.update(data)
        return self._put_object(bucket, key, data, tee.checksum(), validate_metadata(metadata))

    def _put_object(
        self,
        bucket: str,
        key: str,
        data: bytes,
        checksum: str,
        user_metadata: dict[str, str],
        *,
        new_only: bool = False,
    ) -> ObjectInfo:
        object_metadata = {**user_metadata, CHECKSUM_METADATA_KEY: checksum}
        put: dict[str, Any] = {
            "Bucket": bucket,
            "Key": key,
            "Body": data,
            "Metadata": object_metadata,
        }
        with s3_errors.mapped(self.describe(), bucket, key):
            if not new_only:
                self.client.put_object(**put)
            else:
                uri, size = self.uri(bucket, key), len(data)
                stored = put_new(
                    self.client, lambda: self.head(bucket, key), uri, put, size, checksum
                )
                if stored is not None:
                    return stored
        return ObjectInfo(bucket, key, len(data), checksum, None, object_metadata)

    def _put_multipart(
        self,
        bucket: str,
        key: str,
        source: Source,
        user_metadata: dict[str, str],
        new_only: bool,
    ) -> ObjectInfo:
        uri = self.uri(bucket, key)

        def before_copy(size: int, checksum: str) -> None:
            refuse_other_content(lambda: self.head(bucket, key), uri, size, checksum)

        with s3_errors.mapped(self.describe(), bucket, key):
            size = upload_through_temporary(
                self.client,
                bucket,
                key,
                source,
                user_metadata,
                concurrency=self.concurrency,
                multipart_copy_min=self.multipart_copy_min,
                before_copy=before_copy if new_only else None,
            )
        checksum = source.tee.checksum()
        metadata = {**user_metadata, CHECKSUM_METADATA_KEY: checksum}
        return ObjectInfo(bucket, key, size, checksum, None, metadata)

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
        return object_info(bucket, key, response)

    def get_file(
        self, bucket: str, key: str, destination: Path, *, progress: Progress | None = None
    ) -> ObjectInfo:
        uri = self.uri(bucket, key)
        with s3_errors.mapped(self.describe(), bucket, key):
            return download(self.client, uri, bucket, key, destination, progress)

    def get_bytes(self, bucket: str, key: str) -> bytes:
        uri = self.uri(bucket, key)
        with s3_errors.mapped(self.describe(), bucket, key):
            return read_all(self.client, uri, bucket, key)

    def list(self, bucket: str, prefix: str = "") -> Iterator[ObjectInfo]:
        """Objects under ``prefix`` sorted by key; S3 listings carry no metadata,
        so ``checksum`` is None here: ``head()`` an object for it."""
        validate_bucket(bucket)
        validate_prefix(prefix)
        with s3_errors.mapped(self.describe(), bucket):
            yield from listed(self.client, bucket, prefix)


def _size_hint(reader: io.FileIO) -> int:
    return os.fstat(reader.fileno()).st_size
