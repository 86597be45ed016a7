"""Reading local objects back: each open file paired with the record of that very file."""

from __future__ import annotations

import contextlib
import errno
import io
import os
from collections.abc import Iterator
from pathlib import Path

from onepiece.adapters.storage.base import ObjectInfo
from onepiece.adapters.storage.local.failures import not_found
from onepiece.adapters.storage.local.layout import open_no_follow, read_info, walk_keys


@contextlib.contextmanager
def open_object(
    path: Path, uri: str, bucket: str, key: str
) -> Iterator[tuple[io.FileIO, ObjectInfo]]:
    """The open data file at ``path`` and the info its record gives for that very file.

    Matching the record against the open handle (not the path) means a
    concurrent overwrite cannot pair one file's data with another's checksum.
    """
    try:
        # Never through a link planted at the key (listings skip links too).
        handle = open(path, "rb", buffering=0, opener=open_no_follow)  # noqa: SIM115 - closed below
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError) as exc:
        raise not_found(uri, bucket, key) from exc
    except OSError as exc:
        if exc.errno != errno.ELOOP:
            raise
        raise not_found(uri, bucket, key) from exc
    with handle:
        info = read_info(bucket, key, path, os.fstat(handle.fileno()), handle.fileno())
        if info is None:
            raise not_found(uri, bucket, key)
        yield handle, info


def listed(bucket_dir: Path, bucket: str, prefix: str) -> Iterator[ObjectInfo]:
    """Complete objects under ``prefix`` in ``bucket_dir``, sorted by key (as S3 lists them)."""
    for key in sorted(walk_keys(bucket_dir, "", prefix)):
        info = read_info(bucket, key, bucket_dir / key)
        if info is not None:
            yield info
