"""Placing verified files in a folder: hard link when possible, else copy.

Either way each file is read once: a hard link is hashed in place, a copy is
hashed in the same read that writes it. The copy lands under a temporary
name and is renamed into place only when complete.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from onepiece.atomicio import atomic_writer
from onepiece.domain.checksums import format_checksum, new_hasher

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
    hasher = new_hasher(algorithm, digest_length)
    size = 0
    with source.open("rb") as reader, atomic_writer(target, "wb") as writer:
        while chunk := reader.read(CHUNK):
            hasher.update(chunk)
            writer.write(chunk)
            size += len(chunk)
    return format_checksum(algorithm, hasher.hexdigest()), size


def place_file(
    source: Path, target: Path, algorithm: str, digest_length: int | None = None
) -> tuple[str, int, str]:
    """Link or copy ``source`` to ``target``; returns (checksum, size, "link"|"copy")."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError as exc:
        # Another filesystem (or one without hard links): copy instead.
        if exc.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP):
            raise
        checksum, size = copy_with_hash(source, target, algorithm, digest_length)
        return checksum, size, "copy"
    checksum, size = hash_file(target, algorithm, digest_length)
    return checksum, size, "link"
