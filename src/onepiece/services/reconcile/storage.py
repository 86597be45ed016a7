"""What storage really holds, for reconciliation: listing and (``--verify``) re-hashing.

Local storage lists only objects whose record (an attribute of the file, or
a sidecar beside it) still describes the data file, which would hide a file
changed or dropped in by hand: here the
bucket folders are walked directly and such files come back with
``described=False``. ``rehash`` reads stored bytes again, streaming, on a
bounded thread pool, to catch an object overwritten with other bytes of the
same size (S3 keeps whatever metadata the writer left).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from onepiece.adapters.storage.base import Storage
from onepiece.adapters.storage.local.layout import read_info, walk_keys
from onepiece.adapters.storage.local.storage import LocalStorage
from onepiece.adapters.storage.s3 import errors as s3_errors
from onepiece.adapters.storage.s3.storage import S3Storage
from onepiece.domain.bucket_names import validate_bucket, validate_prefix
from onepiece.domain.checksums import format_checksum, new_hasher, parse_checksum
from onepiece.domain.reconcile import StoredObject, TrackedFile, canonical
from onepiece.errors import ObjectNotFound, StorageError, ValidationError
from onepiece.services.delivery.file_copy import CHUNK, hash_file

MAX_WORKERS = 8
Progress = Callable[[int], None]  # bytes re-hashed since the last call


def list_stored(
    storage: Storage, bucket: str, prefix: str, tracked_keys: set[tuple[str, str]]
) -> list[StoredObject]:
    """Every file under ``prefix``; raises ObjectNotFound when the bucket does not exist."""
    if isinstance(storage, LocalStorage):
        return _local_files(storage, bucket, prefix)
    objects = []
    for info in storage.list(bucket, prefix):
        checksum, described = info.checksum, True
        if checksum is None:
            # S3 listings carry no metadata: ask for the checksum we compare, and
            # whether an object the tracker lacks was written by OnePiece at all.
            checksum = storage.head(bucket, info.key).checksum
            described = checksum is not None or (bucket, info.key) in tracked_keys
        objects.append(StoredObject(bucket, info.key, info.size, checksum, described))
    return objects


def _local_files(storage: LocalStorage, bucket: str, prefix: str) -> list[StoredObject]:
    validate_prefix(prefix)
    folder = storage.root / validate_bucket(bucket)
    if not folder.is_dir():
        raise ObjectNotFound(f"bucket {bucket!r} does not exist under {storage.root}")
    objects = []
    for key in sorted(walk_keys(folder, "", prefix)):
        path = folder / key
        try:
            stat = path.stat()
        except OSError:
            continue  # removed while listing
        info = read_info(bucket, key, path, stat)
        checksum = info.checksum if info is not None else None
        objects.append(StoredObject(bucket, key, stat.st_size, checksum, info is not None))
    return objects


def rehash(
    storage: Storage,
    tracked: Sequence[TrackedFile],
    stored: Iterable[StoredObject],
    *,
    progress: Progress | None = None,
    on_file: Callable[[str], None] | None = None,
    workers: int = MAX_WORKERS,
) -> list[StoredObject]:
    """``stored`` with ``rehashed`` filled for every tracked object with a checksum to check."""
    wanted = {(t.bucket, t.key): t.checksum for t in tracked}
    objects = list(stored)
    jobs: list[tuple[int, str, int | None]] = []
    for index, found in enumerate(objects):
        reference = canonical(found.checksum) or canonical(wanted.get((found.bucket, found.key)))
        if (found.bucket, found.key) not in wanted or reference is None:
            continue
        try:
            algorithm, digest = parse_checksum(reference)
        except ValidationError:
            continue  # an algorithm we cannot compute: nothing to compare
        jobs.append((index, algorithm, len(digest) or None))
    if not jobs:
        return objects

    def run(job: tuple[int, str, int | None]) -> tuple[int, str | None]:
        index, algorithm, width = job
        found = objects[index]
        if on_file is not None:
            on_file(f"{found.bucket}/{found.key}")
        try:
            return index, _hash_object(storage, found, algorithm, width, progress)
        except ObjectNotFound:
            return index, None  # deleted since the listing: reported as missing next run

    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(jobs)))) as pool:
        for index, checksum in pool.map(run, jobs):
            if checksum is not None:
                objects[index] = replace(objects[index], rehashed=checksum)
    return objects


def _hash_object(
    storage: Storage,
    found: StoredObject,
    algorithm: str,
    width: int | None,
    progress: Progress | None,
) -> str | None:
    if isinstance(storage, LocalStorage):
        path = storage.root / found.bucket / found.key
        try:
            checksum, size = hash_file(path, algorithm, width)
        except FileNotFoundError as exc:
            raise ObjectNotFound(f"no object {storage.uri(found.bucket, found.key)}") from exc
        except OSError as exc:
            raise StorageError(
                f"cannot read {path} to verify it: {exc.strerror or exc}",
                hint="check the file's permissions, or run without --verify",
            ) from exc
        if progress is not None:
            progress(size)
        return checksum
    if not isinstance(storage, S3Storage):
        return None  # another adapter: its reads verify on their own; no raw bytes to hash
    hasher = new_hasher(algorithm, width)
    # Streamed from the endpoint: no local copy, whatever the object's size.
    with s3_errors.mapped(storage.describe(), found.bucket, found.key):
        response = storage.client.get_object(Bucket=found.bucket, Key=found.key)
        body = response["Body"]
        with body:  # (entering yields the raw stream, which has no iter_chunks)
            for chunk in body.iter_chunks(CHUNK):
                hasher.update(chunk)
                if progress is not None:
                    progress(len(chunk))
    return format_checksum(algorithm, hasher.hexdigest())
