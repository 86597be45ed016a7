"""Atomic file writes: temp file in the same folder, fsync, rename.

Readers in other processes (the web service reading the ingest registry, say)
see either the old file or the new one, never a half-written one.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from onepiece.errors import ValidationError


@contextlib.contextmanager
def atomic_writer(path: Path, mode: str = "wb") -> Iterator[IO[Any]]:
    """Yield a file that replaces ``path`` only if the block completes."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    except OSError as exc:
        # Name the file the caller asked for, not our hidden temporary.
        raise type(exc)(exc.errno, exc.strerror, str(path)) from exc
    try:
        # mkstemp makes the file 0600 and the rename keeps that: deliverables
        # would be unreadable to colleagues and transfer services. Give it the
        # mode a plain open() would have.
        os.fchmod(fd, 0o666 & ~current_umask())
        encoding = None if "b" in mode else "utf-8"
        with os.fdopen(fd, mode, encoding=encoding) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:  # cleanup only: re-raised
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    fsync_dir(path.parent)


def check_writable(path: Path) -> None:
    """Raise ValidationError unless ``atomic_writer(path)`` could create the file.

    Called before a command starts work (uploads, registrations) whose report or
    output would otherwise fail at the very end.
    """
    path = Path(path).expanduser().absolute()
    if path.is_dir():
        raise ValidationError(f"{path} is a folder", hint="name a file to write")
    _probe(path.parent, path)


def check_writable_folder(folder: Path) -> None:
    """Raise ValidationError unless files can be created in ``folder`` (made if missing)."""
    folder = Path(folder).expanduser().absolute()
    if folder.exists() and not folder.is_dir():
        raise ValidationError(f"{folder} is not a folder", hint="name a folder to write in")
    _probe(folder, folder)


def _probe(folder: Path, named: Path) -> None:
    """Create and remove a temporary file in ``folder`` or its nearest existing parent.

    ``os.access`` is not enough (root passes it for /proc): only a real create
    tells, where the writer would create its own temporary file.
    """
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        if not folder.is_dir():
            raise NotADirectoryError(20, "Not a directory", str(folder))
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".onepiece-", suffix=".probe")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise ValidationError(
            f"{named}: cannot be written: {exc.strerror or exc}",
            hint="choose a path in a folder you can write to",
            context={"path": str(named)},
        ) from None


@contextlib.contextmanager
def exclusive_lock(lock_path: Path) -> Iterator[None]:
    """Hold an advisory lock on ``lock_path`` (created if missing) across processes.

    Read-modify-write of a shared JSON file (registries, results) happens under
    it, so two commands never lose each other's update.
    """
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def current_umask() -> int:
    """The process umask, read without changing it where the system allows.

    Setting and restoring it (the only portable way) races with other threads
    creating files, so Linux's /proc answer is preferred.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def fsync_dir(folder: Path) -> None:
    """Persist a rename: fsync the folder that holds the entry."""
    with contextlib.suppress(OSError):
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def write_bytes(path: Path, data: bytes) -> None:
    with atomic_writer(path, "wb") as handle:
        handle.write(data)


def write_text(path: Path, text: str) -> None:
    with atomic_writer(path, "w") as handle:
        handle.write(text)


def write_json(path: Path, data: Any) -> None:
    write_text(path, json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")
