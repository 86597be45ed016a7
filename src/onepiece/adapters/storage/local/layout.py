"""On-disk layout of local storage: object records, sidecars and walking keys.

See storage.py for why an object counts only when its record describes the
exact data file at its key, and records.py for where a record lives. Pure
file handling, no policy.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from onepiece.adapters.storage.base import ObjectInfo
from onepiece.adapters.storage.local.records import read_attribute
from onepiece.domain.bucket_names import RESERVED_MARKER

META_PREFIX = f"{RESERVED_MARKER}meta."
META_SUFFIX = ".json"
SIDECAR_FORMAT = 1


def meta_path(data_path: Path) -> Path:
    return data_path.with_name(f"{META_PREFIX}{data_path.name}{META_SUFFIX}")


@contextlib.contextmanager
def locked_sidecar(path: Path) -> Iterator[int]:
    """Open (creating) the sidecar and hold an exclusive lock on it.

    Writers of one key take this lock around "write sidecar, rename data", so
    the last writer's data and checksum end up together (without it, two
    writers could interleave into one's data with the other's sidecar, which
    reads as absent). A delete may unlink the file we waited on: then lock
    the new one. Readers never lock; the identity check covers them.
    """
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
        try:
            _lock(fd)
            try:
                current = os.stat(path).st_ino
            except FileNotFoundError:
                current = None
            if current == os.fstat(fd).st_ino:
                break
        except BaseException:  # cleanup only: re-raised
            os.close(fd)
            raise
        os.close(fd)
    try:
        yield fd
    finally:
        os.close(fd)  # releases the lock


def try_lock(fd: int) -> bool | None:
    """Take an exclusive lock without waiting: True if taken, False if held elsewhere.

    None where there is no flock (Windows): nothing can be told about other holders.
    """
    try:
        import fcntl
    except ImportError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _lock(fd: int) -> None:
    try:
        import fcntl
    except ImportError:  # Windows: no flock; concurrent writers of one key are not serialised
        return
    fcntl.flock(fd, fcntl.LOCK_EX)


def write_sidecar(fd: int, record: dict[str, Any], *, sync: bool = True) -> None:
    """Replace the locked sidecar's content in place (fsynced with ``sync``).

    No temp file: a reader catching it half-written (or a crash leaving it so)
    fails to parse it and sees the object as absent, which is what it is until
    the data rename that follows. Without ``sync`` the caller flushes it later.
    """
    payload = json.dumps(record, sort_keys=True).encode("utf-8")
    os.ftruncate(fd, 0)
    view = memoryview(payload)
    offset = 0
    while offset < len(view):
        offset += os.pwrite(fd, view[offset:], offset)
    if sync:
        os.fsync(fd)  # its folder entry is fsynced with the data rename


def read_info(
    bucket: str,
    key: str,
    path: Path,
    stat: os.stat_result | None = None,
    fd: int | None = None,
    *,
    strict: bool = False,
) -> ObjectInfo | None:
    """The object's info if its data (``stat``) and record agree, else None (absent or partial).

    The record is the data file's attribute (records.py; read through ``fd``
    when the file is open, so it is that very file's), else its sidecar,
    which counts only when it names this file's inode. A record that cannot
    be read (another user's file) reads as absent, or with ``strict`` (a
    writer about to replace the key) raises the OSError.
    """
    try:
        stat = stat or path.stat(follow_symlinks=False)  # a link at a key is not an object
    except OSError:
        return None
    try:
        record = read_attribute(path if fd is None else fd)
    except OSError:
        if strict:
            raise
        return None
    if record is None:
        try:
            record = json.loads(meta_path(path).read_bytes())
        except (FileNotFoundError, NotADirectoryError, ValueError):
            return None
        except OSError:
            if strict:
                raise
            return None
        if not isinstance(record, dict) or _identity(record).get("ino") != stat.st_ino:
            return None
    if record.get("size") != stat.st_size or _identity(record).get("mtime_ns") != stat.st_mtime_ns:
        return None
    if not _well_formed(record):  # damaged or foreign: not a record of ours
        return None
    return object_info(bucket, key, record, stat.st_mtime_ns)


def _well_formed(record: dict[str, Any]) -> bool:
    checksum, metadata = record.get("checksum"), record.get("metadata") or {}
    return (
        (checksum is None or isinstance(checksum, str))
        and isinstance(metadata, dict)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items())
    )


def _identity(record: dict[str, Any]) -> dict[str, Any]:
    identity = record.get("data")
    return identity if isinstance(identity, dict) else {}


def object_info(bucket: str, key: str, record: dict[str, Any], mtime_ns: int) -> ObjectInfo:
    return ObjectInfo(
        bucket=bucket,
        key=key,
        size=int(record["size"]),
        checksum=record.get("checksum"),
        modified=datetime.fromtimestamp(mtime_ns / 1e9, UTC),
        metadata=dict(record.get("metadata") or {}),
    )


def walk_keys(folder: Path, relative: str, prefix: str) -> Iterator[str]:
    try:
        entries = list(os.scandir(folder))
    except (FileNotFoundError, NotADirectoryError):
        return  # removed while listing
    for entry in entries:
        if entry.name.startswith(RESERVED_MARKER):
            continue
        key = relative + entry.name
        if entry.is_dir(follow_symlinks=False):
            sub = key + "/"
            if sub.startswith(prefix) or prefix.startswith(sub):
                yield from walk_keys(Path(entry.path), sub, prefix)
        elif key.startswith(prefix) and entry.is_file(follow_symlinks=False):
            yield key


def prune_empty_folders(folder: Path, stop: Path) -> None:
    """Remove ``folder`` and its parents up to ``stop`` while they are empty.

    Empty folders left by deletes would block a later key of the same name.
    """
    while folder != stop and stop in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


def open_no_follow(path: str, flags: int) -> int:
    """An ``opener`` that never follows a link at the last component."""
    return os.open(path, flags | getattr(os, "O_NOFOLLOW", 0))
