"""On-disk layout of local storage: metadata sidecars and walking keys.

See local.py for why an object counts only when its sidecar names the exact
data file at its key. Pure file handling, no policy.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from onepiece.adapters.storage.base import ObjectInfo
from onepiece.adapters.storage.naming import RESERVED_MARKER

META_PREFIX = f"{RESERVED_MARKER}meta."
META_SUFFIX = ".json"
SIDECAR_FORMAT = 1


def meta_path(data_path: Path) -> Path:
    return data_path.with_name(f"{META_PREFIX}{data_path.name}{META_SUFFIX}")


def write_sidecar(path: Path, record: dict[str, Any]) -> None:
    # Written in place, no temp file: a reader catching it half-written (or a
    # crash leaving it so) fails to parse it and sees the object as absent,
    # which is what it is until the data rename that follows.
    payload = json.dumps(record, sort_keys=True).encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        view = memoryview(payload)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)  # its folder entry is fsynced with the data rename
    finally:
        os.close(fd)


def read_info(
    bucket: str, key: str, path: Path, stat: os.stat_result | None = None
) -> ObjectInfo | None:
    """The object's info if its data (``stat``) and sidecar agree, else None (absent or partial)."""
    try:
        stat = stat or path.stat()
        record = json.loads(meta_path(path).read_bytes())
    except (OSError, ValueError):
        return None
    identity = record.get("data", {}) if isinstance(record, dict) else {}
    if (
        not isinstance(record, dict)
        or record.get("size") != stat.st_size
        or identity.get("ino") != stat.st_ino
        or identity.get("mtime_ns") != stat.st_mtime_ns
    ):
        return None
    return object_info(bucket, key, record, stat.st_mtime_ns)


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
