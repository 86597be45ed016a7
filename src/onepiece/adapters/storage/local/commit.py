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

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from onepiece.adapters.storage.base import CHECKSUM_METADATA_KEY, StagedObject
from onepiece.adapters.storage.local.buckets import BucketFolders
from onepiece.adapters.storage.local.layout import SIDECAR_FORMAT, object_info
from onepiece.adapters.storage.local.owner import TempOwner
from onepiece.adapters.storage.local.publish import (
    Pending,
    discard_pending,
    fsync_path,
    publish_folder,
)
from onepiece.adapters.storage.local.records import RecordPlaces
from onepiece.adapters.storage.local.sync import FileSystemFlusher
from onepiece.adapters.storage.streaming import TempFile
from onepiece.errors import StorageError

PARALLEL_MIN = 16
PUBLISH_THREADS = 4


class Stager:
    """Temp files, staged objects and their commits, for one storage root."""

    def __init__(
        self,
        root: Path,
        flusher: FileSystemFlusher | None = None,
        places: RecordPlaces | None = None,
        buckets: BucketFolders | None = None,
    ) -> None:
        self.root = root
        self.flusher = flusher or FileSystemFlusher()
        self.owner = TempOwner()
        self.places = places or RecordPlaces()
        self.buckets = buckets or BucketFolders(root)

    def watch(self, bucket: str) -> int | None:
        """Call before writing data to be flushed in a batch (see local_sync.py)."""
        return self.flusher.watch(self.buckets.folder(bucket))

    def temp(
        self,
        bucket: str,
        destination: Path,
        *,
        batched: bool,
        before_mkdir: Callable[[], None] | None = None,
    ) -> TempFile:
        """A temp file beside ``destination``.

        One for a batch may wait long for its commit: it is tagged with our
        owner token, and orphans in its folder are swept first (local_owner.py).
        A single put's temp file lives no longer than the put. ``before_mkdir``
        runs when the destination's folder has to be made.
        """
        if not batched:
            return TempFile(destination, before_mkdir=before_mkdir)
        bucket_dir = self.buckets.folder(bucket)
        tag = self.owner.tag(bucket_dir)
        sink = TempFile(destination, tag, before_mkdir=before_mkdir)
        if tag is not None and not sink.made_folder:  # a folder just made holds no orphans
            self.owner.sweep_once(bucket_dir, os.path.dirname(sink.path))
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
            fsync_path(sink.path)
        pending = Pending(sink.keep(), sink.destination, record, device, keep_different, labelled)
        return StagedObject(object_info(bucket, key, record, stat.st_mtime_ns), pending)

    def commit(self, staged: Sequence[StagedObject]) -> list[OSError | None]:
        pending = [self._pending(item) for item in staged]
        for item, pend in zip(staged, pending, strict=True):
            if pend.temp is None:  # found stored: a rerun may write nothing else here
                folder = os.path.dirname(pend.destination)
                self.owner.sweep_committed(self.buckets.folder(item.info.bucket), folder)
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
    folders: dict[str, list[int]] = {}
    for index, item in enumerate(pending):
        # Grouped by the folder's text: a Path's parent and hash cost far more per file.
        folders.setdefault(os.path.dirname(item.destination), []).append(index)
    groups = [[pending[index] for index in indexes] for indexes in folders.values()]
    if len(pending) >= PARALLEL_MIN and len(groups) > 1:
        with ThreadPoolExecutor(PUBLISH_THREADS, thread_name_prefix="publish") as pool:
            outcomes = list(pool.map(publish_folder, groups))
    else:
        outcomes = [publish_folder(group) for group in groups]
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
