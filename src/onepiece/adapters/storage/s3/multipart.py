"""Multipart upload that reads the source once, hashing parts in order.

Used for files too large for one request: they go to a temporary key first,
then a server-side copy puts them under their key with the checksum (see
docs/decisions.md, "S3 storage").

Parts are read sequentially (the hash needs them in order) and uploaded by a
pool of ``concurrency`` threads; at most ``concurrency`` parts are held in
memory. Any failure, including a checksum mismatch found once the last part
is read, aborts the upload so nothing is left behind but the error.
"""

from __future__ import annotations

import io
import logging
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from onepiece.adapters.storage.base import CHECKSUM_METADATA_KEY, Progress
from onepiece.adapters.storage.streaming import ChecksumTee
from onepiece.domain.bucket_names import PARTIAL_PREFIX

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

log = logging.getLogger(__name__)

MAX_PARTS = 10_000  # S3's limit per upload
MIB = 1024 * 1024


@dataclass
class Source:
    """The file being uploaded: bytes already read, the rest, and what watches it."""

    initial: bytes
    reader: io.FileIO
    part_size: int
    tee: ChecksumTee
    progress: Progress | None = None


def upload_through_temporary(
    client: S3Client,
    bucket: str,
    key: str,
    source: Source,
    user_metadata: dict[str, str],
    *,
    concurrency: int,
    multipart_copy_min: int,
    before_copy: Callable[[int, str], None] | None = None,
) -> int:
    """Multipart upload to a temporary key, then a verified copy to ``key``; returns the size.

    The temporary key is under PARTIAL_PREFIX; the copy replaces the metadata
    with the checksum, known only now. The final key never holds a partial or
    unverified object. botocore errors are left to the caller to translate.
    ``before_copy(size, checksum)`` may refuse the copy by raising (the
    temporary object is deleted all the same).
    """
    from boto3.s3.transfer import TransferConfig  # noqa: TID251 - S3 is in use

    temp_key = f"{PARTIAL_PREFIX}{uuid.uuid4().hex}/{key}"
    with MultipartUpload(client, bucket, temp_key, user_metadata) as upload:
        size = upload.send(
            source.initial,
            source.reader,
            source.part_size,
            concurrency,
            source.tee,
            source.progress,
        )
        source.tee.verify(f"s3://{bucket}/{key}")  # a mismatch aborts the upload
        upload.complete()
    metadata = {**user_metadata, CHECKSUM_METADATA_KEY: source.tee.checksum()}
    try:
        if before_copy is not None:
            before_copy(size, source.tee.checksum())
        client.copy(
            CopySource={"Bucket": bucket, "Key": temp_key},
            Bucket=bucket,
            Key=key,
            ExtraArgs={"Metadata": metadata, "MetadataDirective": "REPLACE"},
            Config=TransferConfig(
                multipart_threshold=multipart_copy_min,
                multipart_chunksize=max(source.part_size, multipart_copy_min // 4),
                max_concurrency=concurrency,
            ),
        )
    finally:
        _discard(client, bucket, temp_key)
    return size


def _discard(client: S3Client, bucket: str, temp_key: str) -> None:
    """Delete a temporary object; a failure is logged, never raised over the result."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        client.delete_object(Bucket=bucket, Key=temp_key)
    except (BotoCoreError, ClientError) as exc:
        log.warning("could not delete temporary s3://%s/%s: %s", bucket, temp_key, exc)


def read_part(reader: io.FileIO, size: int) -> bytes:
    """Up to ``size`` bytes (fewer only at the end of the file)."""
    data = reader.read(size) or b""
    if len(data) == size or not data:
        return data
    pieces = [data]
    got = len(data)
    while got < size:
        more = reader.read(size - got)
        if not more:
            break
        pieces.append(more)
        got += len(more)
    return b"".join(pieces)


def part_size_for(total_hint: int, part_size: int) -> int:
    """The configured part size, grown (in whole MiB) when a file needs > 10,000 parts."""
    if total_hint <= part_size * MAX_PARTS:
        return part_size
    needed = -(-total_hint // MAX_PARTS)
    return -(-needed // MIB) * MIB


class MultipartUpload:
    """One multipart upload to ``key``; aborted on leaving the block uncompleted."""

    def __init__(
        self,
        client: S3Client,
        bucket: str,
        key: str,
        metadata: dict[str, str],
    ) -> None:
        self.client = client
        self.bucket = bucket
        self.key = key
        self.metadata = metadata
        self.upload_id: str | None = None
        self._parts: dict[int, dict[str, Any]] = {}
        self._completed = False

    def __enter__(self) -> MultipartUpload:
        response = self.client.create_multipart_upload(
            Bucket=self.bucket, Key=self.key, Metadata=self.metadata
        )
        self.upload_id = response["UploadId"]
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if self._completed or self.upload_id is None:
            return
        from botocore.exceptions import BotoCoreError, ClientError

        # Best effort: the original error matters more than a failed abort;
        # a bucket lifecycle rule cleans what an abort could not.
        try:
            self.client.abort_multipart_upload(
                Bucket=self.bucket, Key=self.key, UploadId=self.upload_id
            )
        except (BotoCoreError, ClientError) as abort_error:
            log.warning("could not abort multipart upload of %s: %s", self.key, abort_error)

    def send(
        self,
        initial: bytes,
        reader: io.FileIO,
        part_size: int,
        concurrency: int,
        tee: ChecksumTee,
        progress: Progress | None = None,
    ) -> int:
        """Upload ``initial`` (bytes already read) then the rest of ``reader``; returns the size."""
        total = 0
        slots = threading.BoundedSemaphore(concurrency)
        failures: list[BaseException] = []
        pending: list[Future[None]] = []

        def part_done(future: Future[None]) -> None:
            if not future.cancelled() and (error := future.exception()) is not None:
                failures.append(error)
            slots.release()

        with ThreadPoolExecutor(concurrency, thread_name_prefix="onepiece-part") as pool:
            try:
                for number, data in enumerate(_parts(initial, reader, part_size), start=1):
                    tee.update(data)
                    total += len(data)
                    slots.acquire()  # bounds memory to `concurrency` parts in flight
                    if failures:
                        raise failures[0]
                    future = pool.submit(self._upload_part, number, data, progress)
                    future.add_done_callback(part_done)
                    pending.append(future)
                for future in pending:
                    future.result()
            except BaseException:  # cleanup only: re-raised
                for future in pending:
                    future.cancel()
                raise
        return total

    def complete(self) -> None:
        assert self.upload_id is not None
        parts = [self._parts[number] for number in sorted(self._parts)]
        self.client.complete_multipart_upload(
            Bucket=self.bucket,
            Key=self.key,
            UploadId=self.upload_id,
            MultipartUpload={"Parts": parts},  # type: ignore[typeddict-item]
        )
        self._completed = True

    def _upload_part(self, number: int, data: bytes, progress: Progress | None) -> None:
        assert self.upload_id is not None
        response = self.client.upload_part(
            Bucket=self.bucket,
            Key=self.key,
            UploadId=self.upload_id,
            PartNumber=number,
            Body=data,
        )
        part: dict[str, Any] = {"ETag": response["ETag"], "PartNumber": number}
        # Where the SDK added a transport checksum, completion must repeat it.
        part.update(
            {
                name: value
                for name, value in response.items()
                if name.startswith("Checksum") and name != "ChecksumType"
            }
        )
        self._parts[number] = part
        if progress is not None:
            progress(len(data))


def _parts(initial: bytes, reader: io.FileIO, part_size: int) -> Iterator[bytes]:
    """Parts of exactly ``part_size`` (the last one shorter): ``initial``, then the file."""
    offset = 0
    while len(initial) - offset >= part_size:
        yield initial[offset : offset + part_size]
        offset += part_size
    tail = initial[offset:]
    del initial  # keep only the tail in memory from here on
    while True:
        part = tail + read_part(reader, part_size - len(tail))
        tail = b""
        if not part:
            return
        yield part
        if len(part) < part_size:
            return
