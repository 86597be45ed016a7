"""Where local storage keeps an object's record, and the lock its writers share.

The record (size, checksum, user metadata, the data file's mtime) lives in
an extended attribute ``user.onepiece.object`` on the data file itself
wherever the filesystem has user attributes (ext4, XFS, Btrfs, ZFS, tmpfs
since Linux 6.6): no second inode per object, and since the record travels
with its inode, data and record cannot come apart; a file changed in place
reads as absent (its mtime or size no longer match). Elsewhere (no user
attributes: older NFS, some network shares, systems without
``os.setxattr``), and in stores written before, it is a sidecar file beside
the data (layout.py). Readers look for the attribute first, then the sidecar.

Writers of keys in one folder serialise on an ``flock`` of the folder itself
(no file of ours); where a folder cannot be locked (NFS emulates ``flock``
with byte-range locks, which a folder cannot take), on the key's sidecar.
See docs/decisions.md, "Local storage".
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ATTRIBUTE = "user.onepiece.object"
ATTRIBUTE_FORMAT = 2  # sidecars are format 1; an attribute names no inode (it is on it)
# What a filesystem without user attributes (or a user lacking them) answers.
_UNSUPPORTED = {errno.ENOTSUP, errno.EOPNOTSUPP, errno.EPERM, errno.ENOSYS, errno.EACCES}
# A record too large for one attribute (ext4 holds a value in one block): a
# sidecar for that object alone; metadata may take up to 2 KiB, escaped larger.
_TOO_LARGE = {errno.ENOSPC, errno.E2BIG, errno.ERANGE}
# No attribute there: any other error (EACCES on another user's 0600 file) is
# not "no record" and must not let a writer replace what it cannot read.
_NO_ATTRIBUTE = {errno.ENODATA, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOENT, errno.ENOTDIR}
_UNLOCKABLE = {errno.EBADF, errno.ENOLCK, errno.EINVAL, errno.EOPNOTSUPP, errno.ENOTSUP}


class RecordPlaces:
    """Remembers which filesystems (by ``st_dev``) take our attribute.

    ``sidecars_only`` keeps every new record in a sidecar (the format of
    earlier releases), for stores other tools copy without attributes.
    """

    def __init__(self, *, sidecars_only: bool = False) -> None:
        self.sidecars_only = sidecars_only or not hasattr(os, "setxattr")
        self._without: set[int] = set()

    def label(self, fd: int, stat: os.stat_result, record: dict[str, Any]) -> bool:
        """Put ``record`` on the open data file; False when it must go to a sidecar."""
        if self.sidecars_only or stat.st_dev in self._without:
            return False
        try:
            os.setxattr(fd, ATTRIBUTE, attribute_value(record))
        except OSError as exc:
            if exc.errno in _TOO_LARGE:
                return False
            if exc.errno not in _UNSUPPORTED:
                raise
            self._without.add(stat.st_dev)  # asked once per filesystem, not per file
            return False
        return True


def attribute_value(record: dict[str, Any]) -> bytes:
    data = record.get("data", {})
    kept = {**record, "format": ATTRIBUTE_FORMAT, "data": {"mtime_ns": data.get("mtime_ns")}}
    return json.dumps(kept, sort_keys=True).encode("utf-8")


def read_attribute(path: Path | int) -> dict[str, Any] | None:
    """The record on the data file (a path or an open descriptor); None without one.

    Raises OSError when there may be one that cannot be read (permissions).
    """
    if not hasattr(os, "getxattr"):
        return None
    try:
        if isinstance(path, int):
            value = os.getxattr(path, ATTRIBUTE)
        else:  # a link at a key is not an object (nor is what it points to)
            value = os.getxattr(path, ATTRIBUTE, follow_symlinks=False)
    except OSError as exc:
        if exc.errno in _NO_ATTRIBUTE:
            return None  # none set, not supported, or the file is gone
        raise
    try:
        record = json.loads(value)
    except ValueError:
        return None
    return record if isinstance(record, dict) else None


@contextlib.contextmanager
def folder_lock(folder: Path) -> Iterator[bool]:
    """Hold an exclusive ``flock`` on ``folder``; yields False where it cannot be taken.

    False: no ``flock`` (Windows), a filesystem that refuses it on a folder
    (NFS), or a folder we may write but not read (a drop folder). The caller
    then locks each key's sidecar instead. Raises FileNotFoundError when the
    folder is gone. A folder removed and made again while we waited is not
    the one we hold: we lock the new one, as ``layout.locked_sidecar`` does.
    """
    try:
        import fcntl
    except ImportError:
        yield False
        return
    while True:
        try:
            fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | os.O_CLOEXEC)
        except PermissionError:
            yield False
            return
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
            except OSError as exc:
                if exc.errno not in _UNLOCKABLE:
                    raise
                yield False
                return
            held, there = os.fstat(fd), os.stat(folder)  # FileNotFoundError: pruned meanwhile
            if (held.st_dev, held.st_ino) == (there.st_dev, there.st_ino):
                yield True
                return
        finally:
            os.close(fd)  # releases the lock
