"""An ingest's writes to S3 never replace other content, as on local storage.

An ingest checks each key before it sends (transfer.py), but another run may
store something there while the file is on its way: a concurrent ingest of
another delivery, or another project's Version. Local storage checks again
under the folder's lock when it publishes; on S3 the write itself carries the
condition. A single PUT asks for ``If-None-Match: *`` (S3's conditional
writes): if anything is at the key the server refuses it, and the object
found there decides, as local storage's publish does:

- the same bytes (size and our checksum): nothing to write, it is stored;
- an object without our checksum record (not written by OnePiece): replaced;
- other content: ``ObjectConflict``, nothing written.

A large file reaches its key by a server-side copy, which boto3's managed
copy cannot make conditional: the key is looked at just before the copy, which
narrows the window to the copy's own length. Servers without conditional
writes ignore the header; there the PUT replaces, as before this check.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from onepiece.adapters.storage.base import ObjectInfo
from onepiece.adapters.storage.s3.client import error_code
from onepiece.errors import ObjectConflict, ObjectNotFound, StorageError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

# 412: something is there. 409: another conditional write to the key is in flight.
REFUSED = {"PreconditionFailed", "412", "ConditionalRequestConflict", "409"}
ATTEMPTS = 3


def put_new(
    client: S3Client,
    head: Callable[[], ObjectInfo],
    uri: str,
    put: dict[str, Any],
    size: int,
    checksum: str,
) -> ObjectInfo | None:
    """``put_object(**put)`` unless other content is at the key.

    Returns None once written, or the object already stored with the same bytes.
    Raises ObjectConflict when other content is there.
    """
    for _ in range(ATTEMPTS):
        if _put_if_absent(client, put):
            return None
        try:
            found = head()
        except ObjectNotFound:
            continue  # deleted again, or the other write not finished: ask again
        if settled_by(found, uri, size, checksum):
            return found
        client.put_object(**put)  # not ours (no record): replaced, as local storage does
        return None
    raise StorageError(
        f"cannot write {uri}: the key kept changing while it was written",
        hint="another writer is storing the same key: run the ingest again",
    )


def settled_by(found: ObjectInfo, uri: str, size: int, checksum: str) -> bool:
    """True when ``found`` is these bytes; False when it has no record of ours (replace it).

    Raises ObjectConflict for other content.
    """
    if found.checksum is None:
        return False
    if found.checksum == checksum and found.size == size:
        return True
    raise ObjectConflict(
        f"{uri} holds a different object ({found.checksum}) stored meanwhile; not overwritten",
        hint="another run or project stored these bytes: rename the delivered file "
        "(a new version) or remove the stored object first",
    )


def refuse_other_content(
    head: Callable[[], ObjectInfo], uri: str, size: int, checksum: str
) -> None:
    """Before a large file's copy to its key: ObjectConflict if other content is there."""
    try:
        found = head()
    except ObjectNotFound:
        return
    settled_by(found, uri, size, checksum)


def _put_if_absent(client: S3Client, put: dict[str, Any]) -> bool:
    from botocore.exceptions import ClientError

    try:
        client.put_object(**put, IfNoneMatch="*")
    except ClientError as exc:
        if error_code(exc) in REFUSED:
            return False
        raise
    return True
