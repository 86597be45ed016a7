"""Temp files that a killed writer left behind are removed by the next writer of their folder.

A batched commit (local_commit.py) keeps up to a batch of finished temp files
waiting for their barrier; a killed ingest would leave them forever. So each
LocalStorage that writes takes a random token and holds an exclusive ``flock``
on ``<bucket>/.onepiece-owner-<token>.lock`` while it lives, and names its
temp files ``.onepiece-tmp-<token>-<random>``. The kernel drops the lock when
the process dies (also on NFS, where flock is a POSIX lock). A writer touching
a folder for the first time (unless it just made it) removes the temps whose
owner lock it can take, or whose lock file is gone: nobody will ever publish them. A live owner's
temps are never touched. Temps named otherwise (older versions) are left.

A rerun that finds everything stored writes no temp file at all, yet it
commits (flushes) what it found: so committing also removes dead owners'
lock files in the bucket and their temps in the committed folders
(``sweep_committed``). Liveness is the lock itself, never a pid: a pid can be
reused by another process, a released flock cannot be held by a dead one.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import threading
import weakref
from pathlib import Path

from onepiece.adapters.storage.local.layout import try_lock
from onepiece.adapters.storage.streaming import TEMP_PREFIX
from onepiece.domain.bucket_names import RESERVED_MARKER

OWNER_PREFIX = f"{RESERVED_MARKER}owner-"
OWNER_SUFFIX = ".lock"


class TempOwner:
    """This storage's token, its lock per bucket, and the folders already swept."""

    def __init__(self) -> None:
        self.token = secrets.token_hex(6)
        self._lock = threading.Lock()
        self._held: dict[Path, int] = {}  # bucket folder -> fd holding our owner lock
        self._swept: set[str] = set()  # folders by their text: cheaper per file than Paths
        self._owners_swept: set[Path] = set()
        weakref.finalize(self, _release, self._held, self.token)

    def tag(self, bucket_dir: Path) -> str | None:
        """The tag for new temp files in ``bucket_dir``, holding our owner lock there.

        None when no owner lock can be held there (a read-only bucket folder,
        say): the temp file is then untagged, and never swept by anyone.
        """
        with self._lock:
            if bucket_dir not in self._held:
                fd = _hold(bucket_dir / f"{OWNER_PREFIX}{self.token}{OWNER_SUFFIX}")
                if fd is None:
                    return None
                self._held[bucket_dir] = fd
                _sweep_owners(bucket_dir, self.token)
                self._owners_swept.add(bucket_dir)
        return self.token

    def sweep_committed(self, bucket_dir: Path, folder: str) -> None:
        """Once per bucket and folder: what dead writers left where this storage commits."""
        with self._lock:
            sweep_owners = bucket_dir not in self._owners_swept
            self._owners_swept.add(bucket_dir)
        if sweep_owners:
            _sweep_owners(bucket_dir, self.token)
        self.sweep_once(bucket_dir, folder)

    def sweep_once(self, bucket_dir: Path, folder: str) -> None:
        """Sweep ``folder`` the first time this storage writes there."""
        with self._lock:
            if folder in self._swept:
                return
            self._swept.add(folder)
        sweep(folder, bucket_dir, self.token)


def sweep(folder: str, bucket_dir: Path, own_token: str) -> None:
    """Remove the temp files in ``folder`` whose owner is gone."""
    try:
        entries = [e.name for e in os.scandir(folder) if e.name.startswith(TEMP_PREFIX)]
    except OSError:  # not there yet: nothing to sweep
        return
    owners: dict[str, bool] = {}
    for name in entries:
        token, sep, _ = name[len(TEMP_PREFIX) :].partition("-")
        if not sep or token == own_token:
            continue
        if token not in owners:
            owners[token] = _owner_is_gone(bucket_dir / f"{OWNER_PREFIX}{token}{OWNER_SUFFIX}")
        if owners[token]:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(os.path.join(folder, name))


def _owner_is_gone(lock_path: Path) -> bool:
    try:
        fd = os.open(lock_path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        return True  # removed by its owner on exit, or by a sweeper once it was gone
    except OSError:
        return False  # cannot tell: keep its files
    try:
        return try_lock(fd) is True  # without flock nothing is known: keep its files
    finally:
        os.close(fd)


def _sweep_owners(bucket_dir: Path, own_token: str) -> None:
    """Remove the lock files of owners that died (their temps count as orphaned anyway)."""
    try:
        names = [e.name for e in os.scandir(bucket_dir) if e.name.startswith(OWNER_PREFIX)]
    except OSError:
        return
    for name in names:
        if name != f"{OWNER_PREFIX}{own_token}{OWNER_SUFFIX}":
            path = bucket_dir / name
            if _owner_is_gone(path):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path)


def _hold(path: Path) -> int | None:
    """Create ``path`` and hold an exclusive lock on it (the file at the path, not a stale one)."""
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
    for _ in range(10):
        try:
            fd = os.open(path, flags, 0o644)
        except OSError:
            return None
        # A sweeper may unlink the file between our open and lock: then retry.
        if try_lock(fd) is True and _same_file(path, fd):
            return fd
        os.close(fd)
    return None


def _same_file(path: Path, fd: int) -> bool:
    try:
        return os.stat(path).st_ino == os.fstat(fd).st_ino
    except FileNotFoundError:
        return False


def _release(held: dict[Path, int], token: str) -> None:
    for bucket_dir, fd in held.items():
        with contextlib.suppress(OSError):
            os.unlink(bucket_dir / f"{OWNER_PREFIX}{token}{OWNER_SUFFIX}")
        with contextlib.suppress(OSError):
            os.close(fd)
