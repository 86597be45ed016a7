"""Reach the bytes behind a Version's storage URI, reading local files in place.

Local storage (and ``file://`` paths) is read directly: no copy. Remote
objects are downloaded into a scratch folder first (the storage adapter
verifies them against their recorded checksum as it writes), then read once
by the caller.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path

from onepiece.adapters.storage.base import Storage
from onepiece.domain.media_paths import StorageLocation, local_bucket_key, parse_storage_uri
from onepiece.errors import ObjectNotFound


class MediaSource:
    """Resolve storage URIs to readable local files for one command run."""

    def __init__(
        self, storage: Storage, *, root: Path | None = None, scratch: Path | None = None
    ) -> None:
        self.storage = storage
        self.root = root  # local storage root: file paths under it are objects too
        self._scratch = scratch
        self._own_scratch: tempfile.TemporaryDirectory[str] | None = None

    def native(self, uri: str) -> StorageLocation:
        """Where ``uri`` really is: a local file when the storage keeps one."""
        location = parse_storage_uri(uri)
        if location.scheme == "s3" and location.bucket and location.key:
            native = parse_storage_uri(self.storage.uri(location.bucket, location.key))
            if native.scheme == "file":
                return StorageLocation("file", location.bucket, location.key, native.path)
        return location

    def recorded_checksum(self, uri: str) -> str | None:
        """The checksum stored with the object, or None (missing objects raise)."""
        location = parse_storage_uri(uri)
        if location.path is not None and self.root is not None:
            found = local_bucket_key(location.path, str(self.root))
            if found is not None:
                location = StorageLocation("s3", bucket=found[0], key=found[1])
        if location.bucket and location.key:
            return self.storage.head(location.bucket, location.key).checksum
        return None

    def exists(self, uri: str) -> bool:
        location = self.native(uri)
        if location.path is not None:
            return Path(location.path).is_file()
        assert location.bucket and location.key
        try:
            self.storage.head(location.bucket, location.key)
        except ObjectNotFound:
            return False
        return True

    @contextlib.contextmanager
    def open_local(self, uri: str) -> Iterator[Path]:
        """A local path holding the media; downloaded copies are removed after use.

        Raises ObjectNotFound when the media is missing and IntegrityError when a
        download does not match the object's recorded checksum.
        """
        location = self.native(uri)
        if location.path is not None:
            path = Path(location.path)
            if not path.is_file():
                raise ObjectNotFound(f"media not found: {uri}")
            yield path
            return
        assert location.bucket and location.key
        target = self._scratch_dir() / Path(location.key).name
        try:
            self.storage.get_file(location.bucket, location.key, target)
            yield target
        finally:
            target.unlink(missing_ok=True)

    def _scratch_dir(self) -> Path:
        if self._scratch is not None:
            self._scratch.mkdir(parents=True, exist_ok=True)
            return self._scratch
        if self._own_scratch is None:
            self._own_scratch = tempfile.TemporaryDirectory(prefix="onepiece-media-")
        return Path(self._own_scratch.name)

    def close(self) -> None:
        if self._own_scratch is not None:
            self._own_scratch.cleanup()
            self._own_scratch = None
