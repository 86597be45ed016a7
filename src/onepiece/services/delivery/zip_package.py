"""A ZIP of already-compressed media, written in one read pass per file.

Entries are STORED (media is already compressed) with ZIP64 forced so sets
over 4 GiB work. Each file is hashed in the same read that writes it into the
archive. When the digest does not match what was recorded, the entries of
that Version are rolled back: the archive is truncated to where the first
began and they are dropped from the central directory, so a mismatched file
(or the rest of its Version) is never delivered and the media is still read
only once.
"""

from __future__ import annotations

import os
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from onepiece.domain.checksums import format_checksum, new_hasher

CHUNK = 4 * 1024 * 1024
Progress = Callable[[int], None]


@dataclass(frozen=True)
class WrittenEntry:
    name: str
    size: int
    checksum: str  # "algo:hexdigest" of the bytes written


class ZipPackage:
    """Append media to a ZIP stream, verifying each file as it is written."""

    def __init__(self, handle: IO[bytes]) -> None:
        self._handle = handle
        self._zip = zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_STORED, allowZip64=True)

    def add_file(
        self,
        name: str,
        source: Path,
        *,
        algorithm: str,
        digest_length: int | None = None,
        progress: Progress | None = None,
    ) -> WrittenEntry:
        """Copy ``source`` into the archive as ``name``, hashing as it goes."""
        hasher = new_hasher(algorithm, digest_length)
        info = zipfile.ZipInfo(name, date_time=_date_time(source))
        info.compress_type = zipfile.ZIP_STORED
        info.external_attr = 0o644 << 16
        size = 0
        with source.open("rb") as reader, self._zip.open(info, "w", force_zip64=True) as writer:
            while chunk := reader.read(CHUNK):
                hasher.update(chunk)
                writer.write(chunk)
                size += len(chunk)
                if progress is not None:
                    progress(len(chunk))
        return WrittenEntry(name, size, format_checksum(algorithm, hasher.hexdigest()))

    def add_bytes(self, name: str, data: bytes) -> None:
        info = zipfile.ZipInfo(name, date_time=time.localtime()[:6])
        info.compress_type = zipfile.ZIP_STORED
        info.external_attr = 0o644 << 16
        self._zip.writestr(info, data)

    def mark(self) -> int:
        """A point to roll back to: the number of entries written so far."""
        return len(self._zip.filelist)

    def rollback_to(self, mark: int) -> None:
        """Remove every entry written since ``mark`` (a Version that failed as a whole).

        zipfile has no removal API; the entries since ``mark`` run from the
        first one's local header to the current end, so truncating there and
        dropping them from the central-directory lists leaves a valid archive.
        """
        dropped = self._zip.filelist[mark:]
        if not dropped:
            return
        del self._zip.filelist[mark:]
        for info in dropped:
            self._zip.NameToInfo.pop(info.filename, None)
        offset = dropped[0].header_offset
        self._handle.seek(offset)
        self._handle.truncate()
        self._zip.start_dir = offset

    def rollback_last(self, name: str) -> None:
        """Remove the entry just written (it failed verification)."""
        if not self._zip.filelist or self._zip.filelist[-1].filename != name:
            raise RuntimeError(f"cannot roll back {name!r}: it is not the last entry")
        self.rollback_to(len(self._zip.filelist) - 1)

    def close(self) -> None:
        self._zip.close()


def _date_time(path: Path) -> tuple[int, int, int, int, int, int]:
    stamp = time.localtime(os.stat(path).st_mtime)
    # ZIP dates start in 1980.
    if stamp.tm_year < 1980:
        return (1980, 1, 1, 0, 0, 0)
    return (stamp.tm_year, stamp.tm_mon, stamp.tm_mday, stamp.tm_hour, stamp.tm_min, stamp.tm_sec)
