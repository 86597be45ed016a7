"""Where a bucket's objects live under the storage root, and whether the bucket is there.

A bucket is a folder under the root (docs/storage.md); keys are paths under
it. A batch of thousands of files asks these questions once per file, so the
answers that cannot change under us are kept: one ``Path`` per bucket
(pathlib builds a path's text and hash per object), and the buckets already
found, which are looked for again only when a folder has to be made in one.
"""

from __future__ import annotations

from pathlib import Path

from onepiece.domain.bucket_names import validate_folder_bucket, validate_key
from onepiece.errors import ObjectNotFound


class BucketFolders:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._folders: dict[str, Path] = {}
        self._found: set[str] = set()

    def folder(self, bucket: str) -> Path:
        """The bucket's folder (its name checked), whether or not it exists."""
        found = self._folders.get(bucket)
        if found is None:
            found = self._folders[bucket] = self.root / validate_folder_bucket(bucket)
        return found

    def data_path(self, bucket: str, key: str) -> Path:
        return self.folder(bucket) / validate_key(key)

    def require(self, bucket: str) -> None:
        """ObjectNotFound unless the bucket's folder is there now."""
        if not self.folder(bucket).is_dir():
            self._found.discard(bucket)
            raise ObjectNotFound(
                f"bucket {bucket!r} does not exist under {self.root}",
                hint="create it first (ensure_bucket)",
            )

    def in_existing(self, bucket: str, key: str) -> Path:
        """The key's path, once the bucket is found there now."""
        path = self.data_path(bucket, key)
        self.require(bucket)
        return path

    def in_found(self, bucket: str, key: str) -> Path:
        """``in_existing`` for a batch's files: a bucket found once is not looked
        for again per file. The caller runs ``require`` before making a folder
        in it: an existing destination folder proves the bucket is there."""
        if bucket not in self._found:
            path = self.in_existing(bucket, key)
            self._found.add(bucket)
            return path
        return self.data_path(bucket, key)
