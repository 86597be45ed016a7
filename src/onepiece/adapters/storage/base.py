"""The Storage port: buckets of objects addressed by key.

Adapters: ``local`` (folders under a root, the embedded default) and ``s3``
(boto3/s3transfer). Every put hashes the data in the same read that writes it
and records ``algo:hexdigest`` in the object's metadata under ``checksum``.
No partial object ever appears under its final key.

Many files at once (an ingest): ``stage_file`` each, then ``commit`` them in
batches. A staged object is written and verified but need not be visible or
durable until ``commit`` returns, which lets an adapter flush a whole batch
with a few syncs instead of several per file (local storage); an adapter
whose puts are durable once acknowledged (S3) simply puts in ``stage_file``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol, runtime_checkable

from onepiece.errors import StorageError

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


@dataclass(frozen=True)
class StagedObject:
    """A put whose data is written and checked, waiting for ``Storage.commit``.

    ``info`` is what the object will be once committed (size, checksum,
    metadata). ``handle`` belongs to the adapter that staged it.
    """

    info: ObjectInfo
    handle: object = None


@runtime_checkable
class Storage(Protocol):
    name: str

    def describe(self) -> str:
        """Where objects go (root folder or endpoint), for `onepiece info`."""

    def ping(self) -> str:
        """Check the storage is reachable. Raises StorageUnavailable."""

    def uri(self, bucket: str, key: str) -> str: ...

    def check_bucket(self, bucket: str) -> str:
        """``bucket`` if this storage can hold it (S3 rules; a local folder also
        takes '_'), else ValidationError with a hint. Pure: nothing is contacted."""

    def ensure_bucket(self, bucket: str) -> None: ...

    def put_file(
        self,
        bucket: str,
        key: str,
        source: Path,
        *,
        checksum_algorithm: str = "xxh3",
        expected_checksum: str | Sequence[str] | None = None,
        metadata: Mapping[str, str] | None = None,
        progress: Progress | None = None,
    ) -> ObjectInfo:
        """Upload in one read, hashing as it goes.

        With ``expected_checksum`` the object is only committed when the data
        matches (IntegrityError otherwise, nothing left under ``key``).
        """

    def stage_file(
        self,
        bucket: str,
        key: str,
        source: Path,
        *,
        checksum_algorithm: str = "xxh3",
        expected_checksum: str | Sequence[str] | None = None,
        metadata: Mapping[str, str] | None = None,
        progress: Progress | None = None,
    ) -> StagedObject:
        """``put_file`` up to the point of making the object appear.

        Reads and verifies exactly as ``put_file`` (IntegrityError on a
        mismatch, nothing kept). The object may stay invisible, and not yet
        durable, until ``commit``; ``discard`` drops it instead.
        """

    def commit(self, staged: Sequence[StagedObject]) -> list[ObjectInfo | StorageError]:
        """Make staged objects appear, durably, before returning.

        One result per object, in order: its info, or the StorageError that kept
        it from being committed (it is then absent, or the complete object).
        """

    def discard(self, staged: Sequence[StagedObject]) -> None:
        """Forget staged objects that will not be committed (an interrupted run)."""

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
