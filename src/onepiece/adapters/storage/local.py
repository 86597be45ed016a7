"""Local filesystem storage, the embedded default: buckets are folders under a root.

Layout under ``<root>/<bucket>/``: the data at its key, and beside it a
metadata sidecar ``.onepiece-meta.<name>.json`` (size, checksum, user
metadata and the identity of the data file it describes). Temp files are
``.onepiece-tmp-*``. Keys may not contain segments starting with
``.onepiece-``, so listings skip these names without hiding a real object.

Crash consistency (docs/decisions.md, "Local storage"): an object counts only
when its sidecar names the exact file at its key (inode, size, mtime). Each
write fsyncs the data, writes the sidecar, then renames the data into place:
whatever step a crash interrupts, the object is either the old complete one,
the new complete one, or absent; never a partial file with a checksum.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from onepiece.adapters.storage.base import CHECKSUM_METADATA_KEY, ObjectInfo, Progress
from onepiece.adapters.storage.naming import (
    RESERVED_MARKER,
    validate_bucket,
    validate_key,
    validate_metadata,
    validate_prefix,
)
from onepiece.adapters.storage.streaming import (
    TEMP_PREFIX,
    ChecksumTee,
    TempFile,
    open_source,
    pump,
)
from onepiece.errors import IntegrityError, ObjectNotFound, StorageError, StorageUnavailable

if TYPE_CHECKING:
    from onepiece.config import Settings

META_PREFIX = f"{RESERVED_MARKER}meta."
META_SUFFIX = ".json"
_FORMAT = 1


def create(settings: Settings) -> LocalStorage:
    return LocalStorage(settings.storage_root)


class LocalStorage:
    """Buckets as folders under ``root``; see the module docstring for the layout."""

    name = "local"

    def __init__(self, root: Path) -> None:
        self.root = Path(root).expanduser().absolute()

    # -- where things are -------------------------------------------------

    def describe(self) -> str:
        return str(self.root)

    def uri(self, bucket: str, key: str) -> str:
        return self._data_path(bucket, key).as_uri()

    def ping(self) -> str:
        folder = self.root
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent
        if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
            raise StorageUnavailable(
                f"storage root {self.root} is not a writable folder",
                hint="set storage.root (ONEPIECE_STORAGE_ROOT) to a folder you can write",
            )
        return f"local {self.root}" + ("" if folder == self.root else " (created on first use)")

    def ensure_bucket(self, bucket: str) -> None:
        path = self.root / validate_bucket(bucket)
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageUnavailable(f"cannot create bucket folder {path}: {exc}") from exc

    # -- writes -----------------------------------------------------------

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
        destination = self._writable_path(bucket, key)
        user_metadata = validate_metadata(metadata)
        tee = ChecksumTee(checksum_algorithm, expected_checksum)
        with open_source(Path(source)) as reader, TempFile(destination) as sink:
            size = pump(reader, sink, tee, progress)
            return self._commit(bucket, key, sink, size, tee, user_metadata)

    def put_bytes(
        self, bucket: str, key: str, data: bytes, *, metadata: Mapping[str, str] | None = None
    ) -> ObjectInfo:
        destination = self._writable_path(bucket, key)
        user_metadata = validate_metadata(metadata)
        tee = ChecksumTee("xxh3")
        tee.update(data)
        with TempFile(destination) as sink:
            sink.write(data)
            return self._commit(bucket, key, sink, len(data), tee, user_metadata)

    def _commit(
        self,
        bucket: str,
        key: str,
        sink: TempFile,
        size: int,
        tee: ChecksumTee,
        user_metadata: dict[str, str],
    ) -> ObjectInfo:
        tee.verify(self.uri(bucket, key))  # raises before anything is visible
        stat = sink.finish()
        checksum = tee.checksum()
        object_metadata = {**user_metadata, CHECKSUM_METADATA_KEY: checksum}
        record = {
            "format": _FORMAT,
            "size": size,
            "checksum": checksum,
            "metadata": object_metadata,
            "data": {"ino": stat.st_ino, "mtime_ns": stat.st_mtime_ns},
        }
        # Sidecar first, data rename second: until the rename, the sidecar names
        # an inode that is not at the key, so the object reads as absent.
        _write_sidecar(_meta_path(sink.destination), record)
        try:
            sink.publish()
        except IsADirectoryError as exc:
            raise StorageError(
                f"cannot write {self.uri(bucket, key)}: a folder of other objects is there",
                hint="an object key cannot also be the prefix of other keys in local storage",
            ) from exc
        return _info(bucket, key, record, stat.st_mtime_ns)

    def delete(self, bucket: str, key: str) -> None:
        """Remove the object; deleting a missing object is not an error (as on S3)."""
        path = self._writable_path(bucket, key)
        # Sidecar first: a crash in between leaves data that reads as absent.
        for victim in (_meta_path(path), path):
            with contextlib.suppress(FileNotFoundError, NotADirectoryError, IsADirectoryError):
                victim.unlink()
        self._prune(path.parent, self.root / bucket)

    # -- reads ------------------------------------------------------------

    def head(self, bucket: str, key: str) -> ObjectInfo:
        path = self._data_path(bucket, key)
        info = _read_info(bucket, key, path)
        if info is None:
            raise ObjectNotFound(
                f"no object {self.uri(bucket, key)}",
                hint="it was never written completely, or was deleted",
                context={"bucket": bucket, "key": key},
            )
        return info

    def get_file(
        self, bucket: str, key: str, destination: Path, *, progress: Progress | None = None
    ) -> ObjectInfo:
        info = self.head(bucket, key)
        tee = ChecksumTee.for_recorded(info.checksum)
        with self._open_data(bucket, key) as reader, TempFile(Path(destination)) as sink:
            size = pump(reader, sink, tee, progress)
            self._verify(info, size, tee)
            sink.publish()
        return info

    def get_bytes(self, bucket: str, key: str) -> bytes:
        info = self.head(bucket, key)
        with self._open_data(bucket, key) as reader:
            data = reader.readall()
        tee = ChecksumTee.for_recorded(info.checksum)
        if tee is not None:
            tee.update(data)
        self._verify(info, len(data), tee)
        return data

    def list(self, bucket: str, prefix: str = "") -> Iterator[ObjectInfo]:
        """Complete objects under ``prefix``, sorted by key (as S3 lists them)."""
        validate_prefix(prefix)
        bucket_dir = self.root / validate_bucket(bucket)
        if not bucket_dir.is_dir():
            raise ObjectNotFound(
                f"bucket {bucket!r} does not exist under {self.root}",
                hint="create it first (ensure_bucket)",
            )
        for key in sorted(_walk_keys(bucket_dir, "", prefix)):
            info = _read_info(bucket, key, bucket_dir / key)
            if info is not None:
                yield info

    # -- helpers ----------------------------------------------------------

    def _data_path(self, bucket: str, key: str) -> Path:
        return self.root / validate_bucket(bucket) / validate_key(key)

    def _writable_path(self, bucket: str, key: str) -> Path:
        path = self._data_path(bucket, key)
        if not (self.root / bucket).is_dir():
            raise ObjectNotFound(
                f"bucket {bucket!r} does not exist under {self.root}",
                hint="create it first (ensure_bucket)",
            )
        return path

    @contextlib.contextmanager
    def _open_data(self, bucket: str, key: str) -> Iterator[io.FileIO]:
        try:
            handle = open(self._data_path(bucket, key), "rb", buffering=0)  # noqa: SIM115
        except FileNotFoundError as exc:
            raise ObjectNotFound(f"no object {self.uri(bucket, key)}") from exc
        with handle:
            yield handle

    def _verify(self, info: ObjectInfo, size: int, tee: ChecksumTee | None) -> None:
        what = self.uri(info.bucket, info.key)
        if size != info.size:
            raise IntegrityError(
                f"{what} has {size} bytes, its metadata says {info.size}",
                hint="the stored file was changed outside OnePiece",
            )
        if tee is not None:
            tee.verify(what)

    def _prune(self, folder: Path, stop: Path) -> None:
        # Empty folders left by deletes would block a later key of the same name.
        while folder != stop and stop in folder.parents:
            try:
                folder.rmdir()
            except OSError:
                return
            folder = folder.parent


def _meta_path(data_path: Path) -> Path:
    return data_path.with_name(f"{META_PREFIX}{data_path.name}{META_SUFFIX}")


def _write_sidecar(path: Path, record: dict[str, Any]) -> None:
    payload = json.dumps(record, sort_keys=True).encode("utf-8")
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=TEMP_PREFIX)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)  # its folder is fsynced with the data rename
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise


def _read_info(bucket: str, key: str, path: Path) -> ObjectInfo | None:
    """The object's info if its data and sidecar agree, else None (absent or partial)."""
    try:
        stat = path.stat()
        record = json.loads(_meta_path(path).read_bytes())
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
    return _info(bucket, key, record, stat.st_mtime_ns)


def _info(bucket: str, key: str, record: dict[str, Any], mtime_ns: int) -> ObjectInfo:
    return ObjectInfo(
        bucket=bucket,
        key=key,
        size=int(record["size"]),
        checksum=record.get("checksum"),
        modified=datetime.fromtimestamp(mtime_ns / 1e9, UTC),
        metadata=dict(record.get("metadata") or {}),
    )


def _walk_keys(folder: Path, relative: str, prefix: str) -> Iterator[str]:
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
                yield from _walk_keys(Path(entry.path), sub, prefix)
        elif key.startswith(prefix) and entry.is_file(follow_symlinks=False):
            yield key
