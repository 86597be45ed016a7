"""Publishing staged objects of local storage: step 2 of a commit (commit.py).

Under a folder's writer lock (records.py), each finished temp file is
checked against what its key holds (an ingest never replaces other content,
a record it cannot read, nor a link), its sidecar is written where records
are sidecars, and it is renamed over its key. Errors are per object.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat as stat_module
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from onepiece.adapters.storage.local.layout import (
    locked_sidecar,
    meta_path,
    read_info,
    write_sidecar,
)
from onepiece.adapters.storage.local.records import folder_lock
from onepiece.atomicio import fsync_dir


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


def publish_folder(items: Sequence[Pending]) -> list[OSError | None]:
    """Publish objects of one folder under its writer lock; one error (or None) each."""
    errors: list[OSError | None] = [None] * len(items)
    to_publish = [index for index, item in enumerate(items) if item.temp is not None]
    if to_publish:
        try:
            with folder_lock(items[to_publish[0]].destination.parent) as locked:
                for index in to_publish:
                    item = items[index]
                    try:
                        publish_locked(item, sync=item.device is None, folder_locked=locked)
                    except OSError as exc:
                        errors[index] = exc
        except OSError as exc:  # the folder itself: gone, or not a folder
            for index in to_publish:
                errors[index] = errors[index] or exc
    for index, item in enumerate(items):
        if item.device is not None or errors[index] is not None:
            continue  # flushed by the commit's barrier, or failed already
        try:
            if item.temp is None:
                flush_published(item.destination)
            else:
                fsync_dir(item.destination.parent)
        except OSError as exc:
            errors[index] = exc
    discard_pending([item for item, error in zip(items, errors, strict=True) if error])
    return errors


def publish_locked(item: Pending, *, sync: bool, folder_locked: bool) -> None:
    """Write the sidecar (if the record is one), then rename the data into place.

    Sidecar first, data rename second: until the rename, the sidecar names an
    inode that is not at the key, so the object reads as absent. The caller
    holds the folder's lock; where it could not be taken, the key's sidecar
    is locked here instead (left empty when the record is on the data). With
    ``sync`` the sidecar is fsynced.
    """
    assert item.temp is not None
    if folder_locked and item.labelled:  # the common case: no sidecar to name
        _replace_checked(item, sync=sync, sidecar_fd=None)
        return
    sidecar = meta_path(item.destination)
    if not folder_locked:
        with locked_sidecar(sidecar) as fd:
            _replace_checked(item, sync=sync, sidecar_fd=fd)
        return
    fd = os.open(sidecar, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        _replace_checked(item, sync=sync, sidecar_fd=fd)
    finally:
        os.close(fd)


def _replace_checked(item: Pending, *, sync: bool, sidecar_fd: int | None) -> None:
    assert item.temp is not None
    # An ingest looks at the key anyway; a put does not know whether one was there.
    replacing = _check_replaceable(item) if item.keep_different else True
    if not item.labelled and sidecar_fd is not None:
        write_sidecar(sidecar_fd, item.record, sync=sync)
    os.replace(item.temp, item.destination)
    if item.labelled and replacing:
        _drop_stale_sidecar(item.destination, sidecar_fd)


def _drop_stale_sidecar(destination: Path, sidecar_fd: int | None) -> None:
    """The replaced object's sidecar (an earlier release's record) goes with it.

    Readers never took it for the new file's (it names the old inode), but it
    would stay forever. Where the sidecar is the writers' lock (no folder
    lock), it is emptied rather than removed: another writer may be waiting on
    it. Removed or emptied after the rename, so a crash leaves at worst the
    harmless stale file of before.
    """
    if sidecar_fd is not None:
        os.ftruncate(sidecar_fd, 0)
        return
    with contextlib.suppress(FileNotFoundError, NotADirectoryError):
        os.unlink(meta_path(destination))


def _check_replaceable(item: Pending) -> bool:
    """An ingest replaces nothing but a file without a record (never other
    content, a record it cannot read, nor a link someone put at the key).
    True when something is at the key (the rename replaces it)."""
    destination = item.destination
    try:
        stat = os.lstat(destination)
    except (FileNotFoundError, NotADirectoryError):
        return False  # absent (or a parent is a file: the rename says so)
    if stat_module.S_ISLNK(stat.st_mode):
        if os.path.isdir(destination):  # as put_file sees it: a folder is there
            raise IsADirectoryError(errno.EISDIR, "a link to a folder is there", str(destination))
        raise DifferentObjectStored(destination, None)
    there = read_info("", "", destination, stat, strict=True)
    if there is not None and there.checksum != item.record["checksum"]:
        raise DifferentObjectStored(destination, there.checksum)
    return True


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
    fsync_path(destination)
    with contextlib.suppress(FileNotFoundError):  # a record on the data has no sidecar
        fsync_path(meta_path(destination))
    fsync_dir(destination.parent)


def fsync_path(path: Path) -> None:
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
