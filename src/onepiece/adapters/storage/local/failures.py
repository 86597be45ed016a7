"""The errors local storage answers with: what failed, where, and what to do.

Built from the key's URI (``LocalStorage.uri``), so every message names the
object as a user can find it.
"""

from __future__ import annotations

from onepiece.adapters.storage.base import ObjectInfo
from onepiece.adapters.storage.local.publish import DifferentObjectStored
from onepiece.adapters.storage.streaming import ChecksumTee
from onepiece.errors import IntegrityError, ObjectConflict, ObjectNotFound, StorageError


def commit_error(uri: str, error: OSError) -> StorageError:
    """What a failed publish of the object at ``uri`` means to the user."""
    if isinstance(error, IsADirectoryError):  # a folder was created since staging
        return folder_in_the_way(uri)
    if isinstance(error, DifferentObjectStored):  # stored by another writer meanwhile
        what = f"a different object ({error.checksum})" if error.checksum else "a link"
        return ObjectConflict(
            f"{uri} holds {what} stored meanwhile; not overwritten",
            hint="another run or project stored these bytes: rename the delivered file "
            "(a new version) or remove the stored object first",
        )
    return StorageError(
        f"cannot commit {uri}: {error.strerror or error}", context={"errno": error.errno}
    )


def folder_in_the_way(uri: str) -> StorageError:
    return StorageError(
        f"cannot write {uri}: a folder of other objects is there",
        hint="an object key cannot also be the prefix of other keys in local storage",
    )


def not_found(uri: str, bucket: str, key: str) -> ObjectNotFound:
    return ObjectNotFound(
        f"no object {uri}",
        hint="it was never written completely, or was deleted",
        context={"bucket": bucket, "key": key},
    )


def check_read(uri: str, info: ObjectInfo, size: int, tee: ChecksumTee | None) -> None:
    """The bytes read match the object's record (size, then checksum)."""
    if size != info.size:
        raise IntegrityError(
            f"{uri} has {size} bytes, its metadata says {info.size}",
            hint="the stored file was changed outside OnePiece",
        )
    if tee is not None:
        tee.verify(uri)
