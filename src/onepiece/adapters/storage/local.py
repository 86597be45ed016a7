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
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from onepiece.adapters.storage.base import CHECKSUM_METADATA_KEY, ObjectInfo, Progress
from onepiece.adapters.storage.local_layout import (
    SIDECAR_FORMAT,
    locked_sidecar,
    meta_path,
    object_info,
    read_info,
    walk_keys,
    write_sidecar,
)
from onepiece.adapters.storage.naming import (
    validate_bucket,
    validate_key,
    validate_metadata,
    validate_prefix,
)
from onepiece.adapters.storage.streaming import (
    ChecksumTee,
    TempFile,
    open_source,
    os_errors,
    pump,
)
from onepiece.errors import IntegrityError, ObjectNotFound, StorageError, StorageUnavailable

if TYPE_CHECKING:
    from onepiece.config import Settings


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
        destination = self._writable(bucket, key)
        user_metadata = validate_metadata(metadata)
        tee = ChecksumTee(checksum_algorithm, expected_checksum)
        with (
            os_errors(f"cannot copy {source} to {self.uri(bucket, key)}"),
            open_source(Path(source)) as reader,
            TempFile(destination) as sink,
        ):
            size = pump(reader, sink, tee, progress)
            return self._commit(bucket, key, sink, size, tee, user_metadata)

    def put_bytes(
        self, bucket: str, key: str, data: bytes, *, metadata: Mapping[str, str] | None = None
    ) -> ObjectInfo:
        destination = self._writable(bucket, key)
        user_metadata = validate_metadata(metadata)
        tee = ChecksumTee("xxh3")
        tee.update(data)
        with os_errors(f"cannot write {self.uri(bucket, key)}"), TempFile(destination) as sink:
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
            "format": SIDECAR_FORMAT,
            "size": size,
            "checksum": checksum,
            "metadata": object_metadata,
            "data": {"ino": stat.st_ino, "mtime_ns": stat.st_mtime_ns},
        }
        # Sidecar first, data rename second: until the rename, the sidecar names
        # an inode that is not at the key, so the object reads as absent.
        with locked_sidecar(meta_path(sink.destination)) as sidecar:
            write_sidecar(sidecar, record)
            try:
                sink.publish()
            except IsADirectoryError as exc:  # created since _writable() looked
                raise self._folder_in_the_way(bucket, key) from exc
        return object_info(bucket, key, record, stat.st_mtime_ns)

    def delete(self, bucket: str, key: str) -> None:
        """Remove the object; deleting a missing object is not an error (as on S3)."""
        path = self._in_existing_bucket(bucket, key)
        sidecar = meta_path(path)
        # Under the writers' lock, so a delete and a put of one key do not
        # interleave; whichever order they land in, the result is consistent.
        with contextlib.suppress(FileNotFoundError, NotADirectoryError), locked_sidecar(sidecar):
            with contextlib.suppress(FileNotFoundError, IsADirectoryError):
                path.unlink()
            sidecar.unlink()
        self._prune(path.parent, self.root / bucket)

    # -- reads ------------------------------------------------------------

    def head(self, bucket: str, key: str) -> ObjectInfo:
        info = read_info(bucket, key, self._data_path(bucket, key))
        if info is None:
            raise self._not_found(bucket, key)
        return info

    def get_file(
        self, bucket: str, key: str, destination: Path, *, progress: Progress | None = None
    ) -> ObjectInfo:
        with (
            os_errors(f"cannot copy {self.uri(bucket, key)} to {destination}"),
            self._open_object(bucket, key) as (reader, info),
            TempFile(Path(destination)) as sink,
        ):
            tee = ChecksumTee.for_recorded(info.checksum)
            size = pump(reader, sink, tee, progress)
            self._verify(info, size, tee)
            sink.publish()
        return info

    def get_bytes(self, bucket: str, key: str) -> bytes:
        with (
            os_errors(f"cannot read {self.uri(bucket, key)}"),
            self._open_object(bucket, key) as (reader, info),
        ):
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
        for key in sorted(walk_keys(bucket_dir, "", prefix)):
            info = read_info(bucket, key, bucket_dir / key)
            if info is not None:
                yield info

    # -- helpers ----------------------------------------------------------

    def _data_path(self, bucket: str, key: str) -> Path:
        return self.root / validate_bucket(bucket) / validate_key(key)

    def _in_existing_bucket(self, bucket: str, key: str) -> Path:
        path = self._data_path(bucket, key)
        if not (self.root / bucket).is_dir():
            raise ObjectNotFound(
                f"bucket {bucket!r} does not exist under {self.root}",
                hint="create it first (ensure_bucket)",
            )
        return path

    def _writable(self, bucket: str, key: str) -> Path:
        path = self._in_existing_bucket(bucket, key)
        if path.is_dir():
            raise self._folder_in_the_way(bucket, key)
        return path

    def _folder_in_the_way(self, bucket: str, key: str) -> StorageError:
        return StorageError(
            f"cannot write {self.uri(bucket, key)}: a folder of other objects is there",
            hint="an object key cannot also be the prefix of other keys in local storage",
        )

    @contextlib.contextmanager
    def _open_object(self, bucket: str, key: str) -> Iterator[tuple[io.FileIO, ObjectInfo]]:
        """The open data file and the info its sidecar gives for that very file.

        Matching the sidecar against the open handle (not the path) means a
        concurrent overwrite cannot pair one file's data with another's checksum.
        """
        path = self._data_path(bucket, key)
        try:
            handle = open(path, "rb", buffering=0)  # noqa: SIM115 - closed below
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError) as exc:
            raise self._not_found(bucket, key) from exc
        with handle:
            info = read_info(bucket, key, path, os.fstat(handle.fileno()))
            if info is None:
                raise self._not_found(bucket, key)
            yield handle, info

    def _not_found(self, bucket: str, key: str) -> ObjectNotFound:
        return ObjectNotFound(
            f"no object {self.uri(bucket, key)}",
            hint="it was never written completely, or was deleted",
            context={"bucket": bucket, "key": key},
        )

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
