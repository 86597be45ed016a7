"""Multipart upload that reads the source once, hashing parts in order.

Parts are read sequentially (the hash needs them in order) and uploaded by a
pool of ``concurrency`` threads; at most ``concurrency`` parts are held in
memory. Any failure, including a checksum mismatch found once the last part
is read, aborts the upload so nothing is left behind but the error.
"""

from __future__ import annotations

import io
import logging
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from onepiece.adapters.storage.base import Progress
from onepiece.adapters.storage.streaming import ChecksumTee

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

log = logging.getLogger(__name__)

MAX_PARTS = 10_000  # S3's limit per upload
MIB = 1024 * 1024


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
        first_parts: list[bytes],
        reader: io.FileIO,
        part_size: int,
        concurrency: int,
        tee: ChecksumTee,
        progress: Progress | None = None,
    ) -> int:
        """Upload ``first_parts`` then the rest of ``reader``; returns the total size."""
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
                for number, data in enumerate(_parts(first_parts, reader, part_size), start=1):
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
            except BaseException:
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


def _parts(first: list[bytes], reader: io.FileIO, part_size: int) -> Iterator[bytes]:
    yield from first
    while data := read_part(reader, part_size):
        yield data
