"""Committing written objects in local storage, one at a time or a batch at once.

An object is committed in two steps, each behind a barrier (docs/decisions.md,
"Local storage"):

1. **Barrier 1:** its data (a finished ``.onepiece-tmp-*`` file) is durable,
   with its record when that is an attribute of the file (records.py).
2. **Publish:** the file is renamed over the key, after writing its sidecar
   (naming that file's identity) where records are sidecars, under the
   folder's writer lock.
3. **Barrier 2:** sidecar and rename are durable; only then is the put
   acknowledged (``put_file`` returns, an ingest registers the Version).

Because nothing is at a key, and no sidecar names a data file, before
barrier 1, a crash at any point leaves each key either absent or holding a
complete object: every record that reached the disk describes data that
reached it first. A single put passes
each barrier with fsyncs of its own files (``device`` None). A batch passes
each barrier with one ``syncfs`` per filesystem for all its objects, so
thousands of files cost two journal commits instead of three each.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat as stat_module
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from onepiece.adapters.storage.base import CHECKSUM_METADATA_KEY, StagedObject
from onepiece.adapters.storage.local.layout import (
    SIDECAR_FORMAT,
    locked_sidecar,
    meta_path,
    object_info,
    read_info,
    write_sidecar,
)
from onepiece.adapters.storage.local.owner import TempOwner
from onepiece.adapters.storage.local.records import RecordPlaces, folder_lock
from onepiece.adapters.storage.local.sync import FileSystemFlusher
from onepiece.adapters.storage.streaming import TempFile
from onepiece.atomicio import fsync_dir
from onepiece.errors import StorageError

PARALLEL_MIN = 16
PUBLISH_THREADS = 4


@dataclass(frozen=True)
class Pending:
    """A finished temp file waiting to be published at ``destination``.

    Without ``temp``, an object already published (found by a resumed run):
    committing it only flushes it, since the run that wrote it may have been
    killed between its publish and its second barrier.
    """

    temp: Path | None
    destination: Path
    record: dict[str, Any]  # the object's record (names the temp file's inode and mtime)
    device: int | None  # flushed by syncfs of this filesystem; None: fsynced file by file
    # Staged objects (an ingest's) never replace an object of other content: it
    # may be a registered Version's media (another project's, a concurrent run's).
    keep_different: bool = False
    labelled: bool = False  # the record is on the data file: no sidecar to write


class Stager:
    """Temp files, staged objects and their commits, for one storage root."""

    def __init__(
        self,
        root: Path,
        flusher: FileSystemFlusher | None = None,
        places: RecordPlaces | None = None,
    ) -> None:
        self.root = root
        self.flusher = flusher or FileSystemFlusher()
        self.owner = TempOwner()
        self.places = places or RecordPlaces()

    def watch(self, bucket: str) -> int | None:
        """Call before writing data to be flushed in a batch (see local_sync.py)."""
        return self.flusher.watch(self.root / bucket)

    def temp(self, bucket: str, destination: Path, *, batched: bool) -> TempFile:
        """A temp file beside ``destination``.

        One for a batch may wait long for its commit: it is tagged with our
        owner token, and orphans in its folder are swept first (local_owner.py).
        A single put's temp file lives no longer than the put.
        """
        if not batched:
            return TempFile(destination)
        bucket_dir = self.root / bucket
        tag = self.owner.tag(bucket_dir)
        sink = TempFile(destination, tag)
        if tag is not None and not sink.made_folder:  # a folder just made holds no orphans
            self.owner.sweep_once(bucket_dir, destination.parent)
        return sink

    def staged(
        self,
        bucket: str,
        key: str,
        sink: TempFile,
        size: int,
        checksum: str,
        user_metadata: dict[str, str],
        device: int | None,
        *,
        keep_different: bool = False,
    ) -> StagedObject:
        """Close the written, verified temp file and keep it for a commit to publish.

        With ``device`` its data is flushed by the commit's first barrier;
        without, it is fsynced now.
        """
        record: dict[str, Any] = {
            "format": SIDECAR_FORMAT,
            "size": size,
            "checksum": checksum,
            "metadata": {**user_metadata, CHECKSUM_METADATA_KEY: checksum},
        }
        labelled = False

        def label(fd: int, finished: os.stat_result) -> bool:
            nonlocal labelled
            record["data"] = {"ino": finished.st_ino, "mtime_ns": finished.st_mtime_ns}
            labelled = self.places.label(fd, finished, record)
            return labelled

        stat = sink.finish(sync=device is None, label=label)
        if device is not None and stat.st_dev != device:
            device = None  # a mount point inside the bucket: flush this one by itself
            _fsync(sink.path)
        pending = Pending(sink.keep(), sink.destination, record, device, keep_different, labelled)
        return StagedObject(object_info(bucket, key, record, stat.st_mtime_ns), pending)

    def commit(self, staged: Sequence[StagedObject]) -> list[OSError | None]:
        pending = [self._pending(item) for item in staged]
        for item, pend in zip(staged, pending, strict=True):
            if pend.temp is None:  # found stored: a rerun may write nothing else here
                self.owner.sweep_committed(self.root / item.info.bucket, pend.destination.parent)
        return commit_pending(pending, self.flusher)

    def discard(self, staged: Sequence[StagedObject]) -> None:
        discard_pending([self._pending(item) for item in staged if item.handle is not None])

    def _pending(self, staged: StagedObject) -> Pending:
        info = staged.info
        if staged.handle is None:  # found already stored: a commit only flushes it
            path = self.root / info.bucket / info.key
            try:
                device = self.watch(info.bucket)
                if device is not None and os.stat(path).st_dev != device:
                    device = None
            except OSError:
                device = None  # gone: flushing it file by file reports that object alone
            return Pending(None, path, {}, device)
        if not isinstance(staged.handle, Pending):
            raise StorageError(f"{info.key} was not staged by local storage {self.root}")
        return staged.handle


def commit_pending(pending: Sequence[Pending], flusher: FileSystemFlusher) -> list[OSError | None]:
    """Barrier, publish each, barrier; one error (or None) per object, in order.

    A failed first barrier publishes nothing. A failed second barrier leaves
    the objects published and complete (their data is durable) but reports
    them as not committed: the caller must not acknowledge them.
    """
    devices = {item.device for item in pending if item.device is not None}
    try:
        flusher.sync(devices)  # barrier 1: data first, before anything names it
    except OSError as exc:
        discard_pending(pending)
        return [exc for _ in pending]
    # One writer lock per folder: a sequence's frames share it, publishing
    # (a rename, and a sidecar where records are sidecars) takes a few system
    # calls, and folders are independent, so they are published side by side.
    folders: dict[Path, list[int]] = {}
    for index, item in enumerate(pending):
        folders.setdefault(item.destination.parent, []).append(index)
    groups = [[pending[index] for index in indexes] for indexes in folders.values()]
    if len(pending) >= PARALLEL_MIN and len(groups) > 1:
        with ThreadPoolExecutor(PUBLISH_THREADS, thread_name_prefix="publish") as pool:
            outcomes = list(pool.map(_publish_folder, groups))
    else:
        outcomes = [_publish_folder(group) for group in groups]
    errors: list[OSError | None] = [None] * len(pending)
    for indexes, group_errors in zip(folders.values(), outcomes, strict=True):
        for index, error in zip(indexes, group_errors, strict=True):
            errors[index] = error
    published = {p.device for p, e in zip(pending, errors, strict=True) if e is None}
    try:
        flusher.sync(device for device in published if device is not None)  # barrier 2
    except OSError as exc:
        return [
            error or (exc if item.device is not None else None)
            for item, error in zip(pending, errors, strict=True)
        ]
    return errors


def _publish_folder(items: Sequence[Pending]) -> list[OSError | None]:
    """Publish objects of one folder under its writer lock; one error (or None) each."""
    to_publish = [item for item in items if item.temp is not None]
    errors: dict[int, OSError] = {}
    if to_publish:
        try:
            with folder_lock(to_publish[0].destination.parent) as locked:
                for item in to_publish:
                    try:
                        publish_locked(item, sync=item.device is None, folder_locked=locked)
                    except OSError as exc:
                        errors[id(item)] = exc
        except OSError as exc:  # the folder itself: gone, or not a folder
            errors.update((id(item), exc) for item in to_publish if id(item) not in errors)
    for item in items:
        if item.temp is None and item.device is None:
            try:
                flush_published(item.destination)
            except OSError as exc:
                errors[id(item)] = exc
        elif item.temp is not None and id(item) not in errors and item.device is None:
            try:
                fsync_dir(item.destination.parent)
            except OSError as exc:
                errors[id(item)] = exc
    discard_pending([item for item in items if id(item) in errors])
    return [errors.get(id(item)) for item in items]


def publish_locked(item: Pending, *, sync: bool, folder_locked: bool) -> None:
    """Write the sidecar (if the record is one), then rename the data into place.

    Sidecar first, data rename second: until the rename, the sidecar names an
    inode that is not at the key, so the object reads as absent. The caller
    holds the folder's lock; where it could not be taken, the key's sidecar
    is locked here instead (left empty when the record is on the data). With
    ``sync`` the sidecar is fsynced.
    """
    assert item.temp is not None
    sidecar = meta_path(item.destination)
    if not folder_locked:
        with locked_sidecar(sidecar) as fd:
            _replace_checked(item, sync=sync, sidecar_fd=fd)
        return
    if item.labelled:
        _replace_checked(item, sync=sync, sidecar_fd=None)
        return
    fd = os.open(sidecar, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        _replace_checked(item, sync=sync, sidecar_fd=fd)
    finally:
        os.close(fd)


def _replace_checked(item: Pending, *, sync: bool, sidecar_fd: int | None) -> None:
    assert item.temp is not None
    if item.keep_different:  # checked under the writer lock: no writer can slip in
        _check_replaceable(item)
    if not item.labelled and sidecar_fd is not None:
        write_sidecar(sidecar_fd, item.record, sync=sync)
    os.replace(item.temp, item.destination)


def _check_replaceable(item: Pending) -> None:
    """An ingest replaces nothing but a file without a record (never other
    content, a record it cannot read, nor a link someone put at the key)."""
    destination = item.destination
    try:
        stat = os.lstat(destination)
    except (FileNotFoundError, NotADirectoryError):
        return  # absent (or a parent is a file: the rename says so)
    if stat_module.S_ISLNK(stat.st_mode):
        if os.path.isdir(destination):  # as put_file sees it: a folder is there
            raise IsADirectoryError(errno.EISDIR, "a link to a folder is there", str(destination))
        raise DifferentObjectStored(destination, None)
    there = read_info("", "", destination, stat, strict=True)
    if there is not None and there.checksum != item.record["checksum"]:
        raise DifferentObjectStored(destination, there.checksum)


class DifferentObjectStored(FileExistsError):
    """The key holds an object of other content, stored since the staging began."""

    def __init__(self, destination: Path, checksum: str | None) -> None:
        what = f"a different object ({checksum})" if checksum else "a link OnePiece did not make"
        super().__init__(
            errno.EEXIST, f"{what} is already stored there; not overwritten", str(destination)
        )
        self.checksum = checksum


def flush_published(destination: Path) -> None:
    """fsync an object found in place: data (and its attribute), sidecar if any, folder entry."""
    _fsync(destination)
    with contextlib.suppress(FileNotFoundError):  # a record on the data has no sidecar
        _fsync(meta_path(destination))
    fsync_dir(destination.parent)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def discard_pending(pending: Sequence[Pending]) -> None:
    for item in pending:
        if item.temp is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(item.temp)
