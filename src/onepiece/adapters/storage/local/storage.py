"""Local filesystem storage, the embedded default: buckets are folders under a root.

Layout under ``<root>/<bucket>/``: the data at its key, carrying its record
(size, checksum, user metadata, mtime) in the extended attribute
``user.onepiece.object``; on filesystems without user attributes, and in
stores written before, the record is a sidecar ``.onepiece-meta.<name>.json``
beside the data naming the data file's identity (records.py). Temp files are
``.onepiece-tmp-*``; while a batch writer runs, the bucket folder also holds
its ``.onepiece-owner-*.lock`` (local_owner.py). Keys may not contain segments starting with
``.onepiece-``, so listings skip these names without hiding a real object.

Crash consistency (docs/decisions.md, "Local storage"): an object counts only
when its record describes the exact file at its key (size, mtime; a sidecar
also the inode). Each write makes the data durable (with its attribute),
writes the sidecar if records are sidecars, then renames the data into
place, and flushes both before it is acknowledged (local_commit.py): whatever
step a crash interrupts, the object is either the old complete one, the new
complete one, or absent; never a partial file with a checksum. ``put_file``
does this with fsyncs per file; ``stage_file`` + ``commit`` do it for a whole
batch with one filesystem flush per step.
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote_from_bytes

from onepiece.adapters.storage.base import ObjectInfo, Progress, StagedObject
from onepiece.adapters.storage.local.buckets import BucketFolders
from onepiece.adapters.storage.local.commit import Stager
from onepiece.adapters.storage.local.failures import (
    check_read,
    commit_error,
    folder_in_the_way,
    not_found,
)
from onepiece.adapters.storage.local.layout import (
    locked_sidecar,
    meta_path,
    prune_empty_folders,
    read_info,
)
from onepiece.adapters.storage.local.reads import listed, open_object
from onepiece.adapters.storage.local.records import RecordPlaces, folder_lock
from onepiece.adapters.storage.local.sync import FileSystemFlusher
from onepiece.adapters.storage.streaming import ChecksumTee, TempFile, open_source, os_errors, pump
from onepiece.domain.bucket_names import (
    validate_folder_bucket,
    validate_key,
    validate_metadata,
    validate_prefix,
)
from onepiece.errors import (
    ObjectNotFound,
    StorageError,
    StorageUnavailable,
)

if TYPE_CHECKING:
    from onepiece.config import Settings


def create(settings: Settings) -> LocalStorage:
    return LocalStorage(settings.storage_root, sidecars_only=settings.storage.records == "sidecar")


class LocalStorage:
    """Buckets as folders under ``root``; see the module docstring for the layout."""

    name = "local"

    def __init__(
        self,
        root: Path,
        flusher: FileSystemFlusher | None = None,
        *,
        sidecars_only: bool = False,
    ) -> None:
        """``sidecars_only``: every record a sidecar (records.py), as earlier releases wrote."""
        self.root = Path(root).expanduser().absolute()
        self._root_text = str(self.root).rstrip("/")  # "/" itself: keys follow its slash
        self._buckets = BucketFolders(self.root)
        places = RecordPlaces(sidecars_only=sidecars_only)
        self._stager = Stager(self.root, flusher, places, self._buckets)

    @property
    def sidecars_only(self) -> bool:
        """Every new record goes to a sidecar (asked for, or no ``os.setxattr`` here)."""
        return self._stager.places.sidecars_only

    # -- where things are -------------------------------------------------

    def describe(self) -> str:
        return str(self.root)

    def uri(self, bucket: str, key: str) -> str:
        """``Path.as_uri()`` of the data path, without building the Path.

        An ingest asks for one or two per file (its Version's path, a
        missing object's error); valid keys have no empty, ``.`` or ``..``
        segments, so joining the text is the Path's own text.
        """
        if os.sep != "/":  # Windows paths: let pathlib spell the drive
            return self._buckets.data_path(bucket, key).as_uri()
        path = f"{self._root_text}/{validate_folder_bucket(bucket)}/{validate_key(key)}"
        return "file://" + quote_from_bytes(os.fsencode(path))

    def ping(self) -> str:
        folder = self.root
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent
        if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
            raise StorageUnavailable(
                f"storage root {self.root} is not a writable folder",
                hint="set storage.root (ONEPIECE_STORAGE_ROOT) to a folder you can write",
            )
        return f"local {self.root}" + ("" if folder == self.root else " (created on first use)")

    def check_bucket(self, bucket: str) -> str:
        return validate_folder_bucket(bucket)  # a folder: `vendor_in` works as written

    def ensure_bucket(self, bucket: str) -> None:
        path = self._buckets.folder(bucket)
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageUnavailable(f"cannot create bucket folder {path}: {exc}") from exc

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
        staged = self._stage_file(
            bucket, key, source, checksum_algorithm, expected_checksum, metadata, progress, False
        )
        return self._commit_one(staged)

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
        """Write and verify the data, unsynced; ``commit`` flushes a batch at once."""
        return self._stage_file(
            bucket, key, source, checksum_algorithm, expected_checksum, metadata, progress, True
        )

    def put_bytes(
        self, bucket: str, key: str, data: bytes, *, metadata: Mapping[str, str] | None = None
    ) -> ObjectInfo:
        destination = self._writable(bucket, key)
        user_metadata = validate_metadata(metadata)
        tee = ChecksumTee("xxh3")
        tee.update(data)
        with (
            os_errors(f"cannot write {self.uri(bucket, key)}"),
            self._stager.temp(bucket, destination, batched=False) as sink,
        ):
            sink.write(data)
            staged = self._stager.staged(
                bucket, key, sink, len(data), tee.checksum(), user_metadata, None
            )
        return self._commit_one(staged)

    def commit(self, staged: Sequence[StagedObject]) -> list[ObjectInfo | StorageError]:
        """Publish a batch behind two filesystem-wide flushes (see local_commit.py)."""
        errors = self._stager.commit(staged)
        return [
            item.info
            if error is None
            else commit_error(self.uri(item.info.bucket, item.info.key), error)
            for item, error in zip(staged, errors, strict=True)
        ]

    def discard(self, staged: Sequence[StagedObject]) -> None:
        self._stager.discard(staged)

    def _stage_file(
        self,
        bucket: str,
        key: str,
        source: Path,
        checksum_algorithm: str,
        expected_checksum: str | Sequence[str] | None,
        metadata: Mapping[str, str] | None,
        progress: Progress | None,
        batched: bool,
    ) -> StagedObject:
        # A batch learns of a folder at the key when it commits (the rename
        # fails), sparing each of thousands of files a lookup now.
        destination = (
            self._buckets.in_found(bucket, key) if batched else self._writable(bucket, key)
        )
        user_metadata = validate_metadata(metadata)
        tee = ChecksumTee(checksum_algorithm, expected_checksum)
        with os_errors(lambda: f"cannot copy {source} to {destination.as_uri()}"):
            # Watched before the data is written, so the flush reports its write errors.
            device = self._stager.watch(bucket) if batched else None
            with (
                open_source(source) as reader,
                self._stager.temp(
                    bucket, destination, batched=batched,
                    before_mkdir=lambda: self._buckets.require(bucket),
                ) as sink,
            ):  # fmt: skip
                size = pump(reader, sink, tee, progress)
                if tee.mismatch() is not None:  # raises before anything is kept
                    tee.verify(destination.as_uri())
                # Staged for a batch (an ingest): never replaces other content.
                return self._stager.staged(
                    bucket, key, sink, size, tee.checksum(), user_metadata, device,
                    keep_different=batched,
                )  # fmt: skip

    def _commit_one(self, staged: StagedObject) -> ObjectInfo:
        (result,) = self.commit([staged])
        if isinstance(result, StorageError):
            raise result
        return result

    def delete(self, bucket: str, key: str) -> None:
        """Remove the object; deleting a missing object is not an error (as on S3)."""
        path = self._buckets.in_existing(bucket, key)
        sidecar = meta_path(path)
        # Under the writers' lock, so a delete and a put of one key do not
        # interleave; whichever order they land in, the result is consistent.
        with (
            os_errors(f"cannot delete {self.uri(bucket, key)}"),
            contextlib.suppress(FileNotFoundError, NotADirectoryError),
            folder_lock(path.parent) as locked,
            contextlib.nullcontext() if locked else locked_sidecar(sidecar),
        ):
            with contextlib.suppress(FileNotFoundError, IsADirectoryError):
                path.unlink()
            sidecar.unlink(missing_ok=True)
        prune_empty_folders(path.parent, self._buckets.folder(bucket))

    # -- reads ------------------------------------------------------------

    def head(self, bucket: str, key: str) -> ObjectInfo:
        info = read_info(bucket, key, self._buckets.data_path(bucket, key))
        if info is None:
            raise not_found(self.uri(bucket, key), bucket, key)
        return info

    def get_file(
        self, bucket: str, key: str, destination: Path, *, progress: Progress | None = None
    ) -> ObjectInfo:
        with (
            os_errors(f"cannot copy {self.uri(bucket, key)} to {destination}"),
            self._open_object(bucket, key) as (reader, info),
            TempFile(Path(destination)) as sink,
        ):
            tee = ChecksumTee.for_recorded(info.checksum)
            size = pump(reader, sink, tee, progress)
            check_read(self.uri(info.bucket, info.key), info, size, tee)
            sink.publish()
        return info

    def get_bytes(self, bucket: str, key: str) -> bytes:
        with (
            os_errors(f"cannot read {self.uri(bucket, key)}"),
            self._open_object(bucket, key) as (reader, info),
        ):
            data = reader.readall()
        tee = ChecksumTee.for_recorded(info.checksum)
        if tee is not None:
            tee.update(data)
        check_read(self.uri(info.bucket, info.key), info, len(data), tee)
        return data

    def list(self, bucket: str, prefix: str = "") -> Iterator[ObjectInfo]:
        """Complete objects under ``prefix``, sorted by key (as S3 lists them)."""
        validate_prefix(prefix)
        bucket_dir = self._buckets.folder(bucket)
        if not bucket_dir.is_dir():
            raise ObjectNotFound(
                f"bucket {bucket!r} does not exist under {self.root}",
                hint="create it first (ensure_bucket)",
            )
        yield from listed(bucket_dir, bucket, prefix)

    # -- helpers ----------------------------------------------------------

    def _writable(self, bucket: str, key: str) -> Path:
        path = self._buckets.in_existing(bucket, key)
        if path.is_dir():
            raise folder_in_the_way(self.uri(bucket, key))
        return path

    def _open_object(
        self, bucket: str, key: str
    ) -> contextlib.AbstractContextManager[tuple[io.FileIO, ObjectInfo]]:
        return open_object(self._buckets.data_path(bucket, key), self.uri(bucket, key), bucket, key)
