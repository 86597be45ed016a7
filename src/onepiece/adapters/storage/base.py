"""The Storage port: buckets of objects addressed by key.

Adapters: ``local`` (folders under a root, the embedded default) and ``s3``
(boto3/s3transfer). Every put hashes the data in the same read that writes it
and records ``algo:hexdigest`` in the object's metadata under ``checksum``.
No partial object ever appears under its final key.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol, runtime_checkable

Progress = Callable[[int], None]  # called with bytes just transferred
CHECKSUM_METADATA_KEY = "checksum"


@dataclass(frozen=True)
class ObjectInfo:
    bucket: str
    key: str
    size: int
    checksum: str | None = None  # "algo:hexdigest" from metadata
    modified: datetime | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)


@runtime_checkable
class Storage(Protocol):
    name: str

    def describe(self) -> str:
        """Where objects go (root folder or endpoint), for `onepiece info`."""

    def ping(self) -> str:
        """Check the storage is reachable. Raises StorageUnavailable."""

    def uri(self, bucket: str, key: str) -> str: ...
    def ensure_bucket(self, bucket: str) -> None: ...

    def put_file(
        self,
        bucket: str,
        key: str,
        source: Path,
        *,
        checksum_algorithm: str = "xxh3",
        expected_checksum: str | None = None,
        metadata: Mapping[str, str] | None = None,
        progress: Progress | None = None,
    ) -> ObjectInfo:
        """Upload in one read, hashing as it goes.

        With ``expected_checksum`` the object is only committed when the data
        matches (IntegrityError otherwise, nothing left under ``key``).
        """

    def put_bytes(
        self, bucket: str, key: str, data: bytes, *, metadata: Mapping[str, str] | None = None
    ) -> ObjectInfo: ...
    def head(self, bucket: str, key: str) -> ObjectInfo:
        """Raises ObjectNotFound."""

    def get_file(
        self, bucket: str, key: str, destination: Path, *, progress: Progress | None = None
    ) -> ObjectInfo:
        """Download atomically, verifying the recorded checksum (IntegrityError)."""

    def get_bytes(self, bucket: str, key: str) -> bytes: ...
    def list(self, bucket: str, prefix: str = "") -> Iterator[ObjectInfo]: ...
    def delete(self, bucket: str, key: str) -> None: ...
