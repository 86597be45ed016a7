"""Storage URIs of Version media, and frame sequences behind a pattern.

A Version's ``path`` is a storage URI (``s3://bucket/key`` or a ``file://``
URI / absolute path under the local storage root). A sequence Version's path
is a pattern (``name.####.exr``, ``name.%04d.exr``, ``name.@@@@.exr``) whose
frames come from the Version's frame range: ``domain/sequences.py`` reads it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import quote, unquote, urlsplit

from onepiece.errors import ValidationError


@dataclass(frozen=True)
class StorageLocation:
    """Where a URI points: an S3 object, or a file on local disk."""

    scheme: str  # "s3" or "file"
    bucket: str | None = None
    key: str | None = None
    path: str | None = None  # absolute local path for "file"

    @property
    def name(self) -> str:
        return PurePosixPath(self.key or self.path or "").name


def parse_storage_uri(uri: str) -> StorageLocation:
    """Split a Version path into an S3 bucket/key or a local absolute path."""
    if not uri or not uri.strip():
        raise ValidationError("empty media path")
    if uri.startswith("s3://"):
        # S3 URIs carry keys verbatim (a "%04d" pattern stays as written).
        bucket, _, key = uri[len("s3://") :].partition("/")
        if not bucket or not key:
            raise ValidationError(f"media path {uri!r} has no bucket or key")
        return StorageLocation("s3", bucket=bucket, key=key)
    if uri.startswith("file://"):
        # file:// URIs are percent-encoded (Path.as_uri), so decode them.
        return StorageLocation("file", path=unquote(urlsplit(uri).path))
    if uri.startswith("/"):
        return StorageLocation("file", path=uri)
    raise ValidationError(
        f"media path {uri!r} is not a storage URI", hint="expected s3://bucket/key or file://..."
    )


def local_bucket_key(path: str, root: str) -> tuple[str, str] | None:
    """(bucket, key) of a local file under the storage root, or None when outside it."""
    rel = PurePosixPath(path)
    try:
        parts = rel.relative_to(root).parts
    except ValueError:
        return None
    if len(parts) < 2:
        return None
    return parts[0], "/".join(parts[1:])


def with_name(uri: str, name: str) -> str:
    """The URI of a sibling file (same folder, another name), encoded like ``uri``."""
    head, _, _ = uri.rpartition("/")
    return f"{head}/{quote(name) if uri.startswith('file://') else name}"
