"""Flushing many files at once: one ``syncfs`` per filesystem instead of fsyncs per file.

Each fsync of a freshly written file costs a journal commit and a device
cache flush (about 6 ms per file on the benchmark disk, three per object).
``syncfs(2)`` writes back everything dirty on one filesystem and commits the
journal once, so a batch of thousands of files costs about as much as one
``sync`` after ``cp -r`` (docs/decisions.md, "Local storage: batched
durability").

Writeback errors: since Linux 5.8 ``syncfs`` reports an I/O error that hit any
file of the filesystem after the descriptor it is called on was opened
(errseq). ``watch`` therefore opens that descriptor before the first file of a
bucket is written and keeps it, so a page that failed to reach the disk in
background writeback is never taken for flushed. Where ``syncfs`` is missing
(not Linux), ``watch`` returns None and callers fsync file by file.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import weakref
from collections.abc import Callable, Iterable
from pathlib import Path


def _load_syncfs() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    import ctypes  # stdlib, but only needed here

    try:
        function = ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError):  # a libc without syncfs
        return None
    function.argtypes = [ctypes.c_int]
    function.restype = ctypes.c_int

    def syncfs(fd: int) -> int:
        if function(fd) != 0:  # the call releases the GIL while it waits
            return ctypes.get_errno()
        return 0

    return syncfs


SYNCFS = _load_syncfs()


class FileSystemFlusher:
    """Descriptors on the filesystems of watched folders, to ``syncfs`` them later.

    Thread-safe; one per storage. The descriptors (one per watched folder,
    usually one per bucket) are closed when the flusher is garbage-collected.
    """

    def __init__(self, syncfs: Callable[[int], int] | None = SYNCFS) -> None:
        self._syncfs = syncfs
        self._lock = threading.Lock()
        self._watched: dict[str, int] = {}  # folder -> device
        self._fds: dict[int, int] = {}  # device -> descriptor opened on it
        weakref.finalize(self, _close_all, self._fds)

    @property
    def available(self) -> bool:
        return self._syncfs is not None

    def watch(self, folder: Path) -> int | None:
        """The device of ``folder`` once it can be synced in one call, else None.

        Call it before writing the files to sync: errors are reported for
        writes after this point.
        """
        if self._syncfs is None:
            return None
        key = str(folder)
        with self._lock:
            device = self._watched.get(key)
            if device is not None:
                return device
            fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
            device = os.fstat(fd).st_dev
            if device in self._fds:
                os.close(fd)  # another folder of that filesystem was watched first
            else:
                self._fds[device] = fd
            self._watched[key] = device
            return device

    def sync(self, devices: Iterable[int]) -> None:
        """Make everything written so far on ``devices`` durable; OSError if it may not be."""
        for device in sorted(set(devices)):
            with self._lock:
                fd = self._fds[device]  # only watched devices are ever passed
            assert self._syncfs is not None  # watch() returned a device
            error = self._syncfs(fd)
            if error:
                raise OSError(error, os.strerror(error))


def _close_all(fds: dict[int, int]) -> None:
    for fd in fds.values():
        with contextlib.suppress(OSError):
            os.close(fd)
