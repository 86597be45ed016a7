"""Staged data without a name: ``O_TMPFILE`` files, linked into place when published.

A batch's temp file used to be made under a name beside its key and renamed
over the key when published: two changes to the folder per object, each
under the folder's directory lock, which the workers making the next files
wait for (docs/benchmarks.md). An unnamed file (``O_TMPFILE``) is made
without changing the folder, and publishing gives it the key's name with one
``linkat``, which fails if anything is there (then it is named beside the key
and checked and renamed as before). A crash leaves nothing behind: the
kernel frees an unnamed file when its last descriptor closes.

Each staged unnamed file holds a descriptor until its commit, so at most
``limit`` are open at once (half the open-file limit, raised to its hard
maximum first, as Go's runtime does at start-up). Past that, on filesystems
without ``O_TMPFILE`` (NFS, most FUSE) and without ``/proc`` (linking an
unnamed file by descriptor otherwise needs a privilege), temp files are named
as before.
"""

from __future__ import annotations

import errno
import os
import random
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from onepiece.adapters.storage.streaming import TEMP_PREFIX, finish_fd

PROC_FD = Path("/proc/self/fd")
_NOT_SUPPORTED = {errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL, errno.ENOSYS}
_MAX_OPEN_FILES = 1 << 16


class UnnamedFiles:
    """Makes unnamed temp files for one storage root, counting those open."""

    def __init__(self, *, enabled: bool = True) -> None:
        self._lock = threading.Lock()
        self._open = 0
        self.supported = enabled and hasattr(os, "O_TMPFILE") and PROC_FD.is_dir()
        self.limit = _open_file_budget() if self.supported else 0

    def make(self, destination: Path, tag: str | None) -> UnnamedFile | None:
        """An unnamed file in ``destination``'s folder (made if missing), or None:
        make a named temp file instead (it also reports why a folder cannot be made)."""
        if not self.supported:
            return None
        with self._lock:
            if self._open >= self.limit:
                return None
            self._open += 1
        try:
            fd, made_folder = _open_in(destination.parent)
        except OSError as exc:
            self._closed()
            if exc.errno in _NOT_SUPPORTED:
                self.supported = False  # this filesystem: named temp files from now on
            return None
        return UnnamedFile(destination, fd, made_folder, tag, self._closed)

    def _closed(self) -> None:
        with self._lock:
            self._open -= 1


class UnnamedFile:
    """A temp file with no name yet: written, finished, then kept open until published.

    Used like ``streaming.TempFile``; ``keep()`` hands over the open file.
    """

    def __init__(
        self,
        destination: Path,
        fd: int,
        made_folder: bool,
        tag: str | None,
        on_close: Callable[[], None],
    ) -> None:
        self.destination, self.fd, self.made_folder = destination, fd, made_folder
        self._tag, self._on_close = tag, on_close
        self._kept = False
        self._closed = False

    def __enter__(self) -> UnnamedFile:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self._kept:
            self.close()

    def write(self, data: bytes | bytearray | memoryview) -> None:
        view = memoryview(data)
        while view:
            written = os.write(self.fd, view)
            view = view[written:]

    def finish(
        self, *, sync: bool = True, label: Callable[[int, os.stat_result], bool] | None = None
    ) -> os.stat_result:
        """As ``TempFile.finish``, but the file stays open: closing it would free it."""
        return finish_fd(self.fd, sync=sync, label=label)

    def keep(self) -> UnnamedFile:
        self._kept = True
        return self

    def fsync(self) -> None:
        os.fsync(self.fd)

    def link(self, path: Path) -> None:
        """Give the data the name ``path``; FileExistsError if anything is there."""
        # A directory descriptor makes Python call linkat(AT_SYMLINK_FOLLOW); plain
        # link() would try to link /proc's own link. The path is absolute: the
        # descriptor itself is not used.
        os.link(PROC_FD / str(self.fd), path, src_dir_fd=_root_fd(), follow_symlinks=True)

    def link_beside(self) -> Path:
        """Give the data a temp file's name beside its key (named as the owner's temps are)."""
        prefix = f"{TEMP_PREFIX}{self._tag}-" if self._tag else TEMP_PREFIX
        for _ in range(10):
            path = self.destination.with_name(f"{prefix}{random.getrandbits(64):016x}")
            try:
                self.link(path)
                return path
            except FileExistsError:
                continue
        raise FileExistsError(errno.EEXIST, "no free temp file name", str(self.destination))

    def close(self) -> None:
        """Release the file: unless linked, the kernel frees its data."""
        if not self._closed:
            self._closed = True
            os.close(self.fd)
            self._on_close()


_root: list[int] = []


def _root_fd() -> int:
    if not _root:
        _root.append(os.open("/", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC))
    return _root[0]


def _open_in(folder: Path) -> tuple[int, bool]:
    flags = os.O_TMPFILE | os.O_WRONLY | os.O_CLOEXEC
    try:
        return os.open(folder, flags, 0o666), False
    except FileNotFoundError:
        folder.mkdir(parents=True, exist_ok=True)
        return os.open(folder, flags, 0o666), True


def _open_file_budget() -> int:
    """Half the open-file limit, after raising it as far as allowed (once per process)."""
    try:
        import resource
    except ImportError:  # not a POSIX system
        return 0
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = _MAX_OPEN_FILES if hard == resource.RLIM_INFINITY else min(hard, _MAX_OPEN_FILES)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
            soft = wanted
        except (ValueError, OSError):
            pass
    if soft == resource.RLIM_INFINITY:
        soft = _MAX_OPEN_FILES
    return int(soft) // 2
