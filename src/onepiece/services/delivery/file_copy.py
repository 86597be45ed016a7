"""Placing verified files in a folder: reflink where possible, else copy.

A placed file never shares an inode with its source unless a hard link is
asked for and the source is read-only (docs/decisions.md, "Deliveries").
Each file is read once: a link or reflink is hashed in place, a copy is
hashed in the same read that writes it. A copy lands under a temporary name
and is renamed into place only when complete.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from onepiece.atomicio import atomic_writer
from onepiece.domain.checksums import Hasher, format_checksum, new_hasher

CHUNK = 4 * 1024 * 1024


def hash_file(path: Path, algorithm: str, digest_length: int | None = None) -> tuple[str, int]:
    """(checksum, size) of a file in one read."""
    hasher = new_hasher(algorithm, digest_length)
    size = 0
    with path.open("rb") as reader:
        while chunk := reader.read(CHUNK):
            hasher.update(chunk)
            size += len(chunk)
    return format_checksum(algorithm, hasher.hexdigest()), size


def copy_with_hash(
    source: Path, target: Path, algorithm: str, digest_length: int | None = None
) -> tuple[str, int]:
    checksums, size = copy_with_hashes(source, target, [(algorithm, digest_length)])
    return checksums[0], size


def copy_with_hashes(
    source: Path, target: Path, algorithms: Sequence[tuple[str, int | None]]
) -> tuple[list[str], int]:
    """Copy once, hashing in every (algorithm, digest length) asked: our checksum and
    the one a vendor's hash list recorded, from the same read."""
    hashers = [new_hasher(algorithm, length) for algorithm, length in algorithms]
    size = 0
    with source.open("rb") as reader, atomic_writer(target, "wb") as writer:
        while chunk := reader.read(CHUNK):
            for hasher in hashers:
                hasher.update(chunk)
            writer.write(chunk)
            size += len(chunk)
    checksums = [
        format_checksum(algorithm, hasher.hexdigest())
        for (algorithm, _), hasher in zip(algorithms, hashers, strict=True)
    ]
    return checksums, size


def place_file(
    source: Path,
    target: Path,
    algorithm: str,
    digest_length: int | None = None,
    *,
    link: bool = False,
) -> tuple[str, int, str]:
    """Put ``source`` at ``target``; returns (checksum, size, "link"|"reflink"|"copy").

    The result never shares an inode with ``source`` (editing a delivered file
    must not edit the master) unless ``link`` is asked for and the master is
    read-only: then a hard link is safe and free.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    if link and _read_only(source):
        try:
            os.link(source, target)
        except OSError as exc:
            if exc.errno not in _NO_SHARING:
                raise
        else:
            checksum, size = hash_file(target, algorithm, digest_length)
            return checksum, size, "link"
    return clone_or_copy(source, target, algorithm, digest_length)


def clone_or_copy(
    source: Path, target: Path, algorithm: str, digest_length: int | None = None
) -> tuple[str, int, str]:
    """A reflink (shared blocks, copy-on-write) where the filesystem has one, else a copy.

    Either lands under a temporary name first. A reflink is hashed by reading
    the clone, a copy in the same read that writes it.
    """
    hasher = new_hasher(algorithm, digest_length)
    with source.open("rb") as reader, atomic_writer(target, "wb") as writer:
        if _reflink(reader.fileno(), writer.fileno()):
            # The temp file is open read-write (mkstemp): hash the clone itself.
            with open(writer.fileno(), "rb", closefd=False) as clone:
                size = _pump(clone, None, hasher)
            how = "reflink"
        else:
            size = _pump(reader, writer, hasher)
            how = "copy"
    return format_checksum(algorithm, hasher.hexdigest()), size, how


def _pump(reader: IO[bytes], writer: IO[bytes] | None, hasher: Hasher) -> int:
    size = 0
    while chunk := reader.read(CHUNK):
        hasher.update(chunk)
        if writer is not None:
            writer.write(chunk)
        size += len(chunk)
    return size


def _read_only(path: Path) -> bool:
    return os.stat(path).st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) == 0


def _reflink(source_fd: int, target_fd: int) -> bool:
    """Clone the source's blocks into the (empty) target: True when the filesystem did."""
    try:
        import fcntl

        fcntl.ioctl(target_fd, FICLONE, source_fd)
    except (ImportError, OSError):
        # No FICLONE here (ext4, tmpfs, another filesystem, not Linux): copy.
        return False
    return True


# Linux's FICLONE ioctl (_IOW(0x94, 9, int)): btrfs, XFS, bcachefs, OCFS2.
FICLONE = 0x40049409
_NO_SHARING = (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP)
