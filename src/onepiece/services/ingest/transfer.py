"""Send one planned file, resumably, reading it once.

Decision per file (``transfer``):

1. With resume on, or when its Version is already registered, ``head`` the
   destination. An object that is there with a checksum and the right size is
   checked without sending anything: against the manifest's checksum when the
   object already records it (no read at all), otherwise by hashing the local
   file (one read). Equal: ``skipped``. The manifest's checksum is checked on
   every run, also when the Version is registered and the registered checksum
   decides the rest: a wrong one is a ``mismatch`` whatever is stored.
2. If it differs and the Version is already registered, it is a ``conflict``:
   nothing is sent, nothing overwritten.
3. Otherwise the file is staged with ``storage.stage_file``, which hashes in
   the same read and, given the expected checksum, keeps nothing on a mismatch.

Sent and skipped files carry a ``StagedObject``: the caller commits them in
batches (``ingest_commit``) before their Versions are registered.

Progress callbacks raise ``Cancelled`` once the run is interrupted, so a
large file stops mid-way (the adapter leaves no partial object).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from onepiece.adapters.storage.base import ObjectInfo, StagedObject, Storage
from onepiece.adapters.storage.streaming import chunk_buffer
from onepiece.domain.checksums import format_checksum, new_hasher, parse_checksum
from onepiece.domain.ingest_plan import FileStatus
from onepiece.errors import (
    IntegrityError,
    ObjectConflict,
    ObjectNotFound,
    OnePieceError,
    StorageUnavailable,
)

EXPECTED_METADATA_KEY = "expected-checksum"  # the manifest's checksum, kept beside ours


class Cancelled(Exception):  # noqa: N818 - a signal, not an error
    """The run was interrupted; raised inside progress callbacks to stop a transfer."""


@dataclass(frozen=True)
class FileJob:
    path: str  # delivery-relative, for messages
    source: Path
    size: int
    bucket: str
    key: str
    algorithm: str
    expected: str | None = None  # manifest checksum, or the registered one
    registered: bool = False  # its Version exists already: never overwrite
    expected_is_registered: bool = False  # ``expected`` came from the tracker
    manifest: str | None = None  # the manifest's checksum when ``expected`` is the registered one
    resume: bool = True
    metadata: Mapping[str, str] | None = None
    listed: bool = False  # its folder was listed: ``known`` is what is there (None: nothing)
    known: ObjectInfo | None = None
    mhl: str | None = None  # the delivery's MHL hash, checked beside the others
    adds_to_registered: bool = False  # a frame outside a registered sequence, in its place


@dataclass(frozen=True)
class FileOutcome:
    status: FileStatus
    checksum: str | None = None
    reason: str | None = None
    staged: StagedObject | None = None  # to commit before the outcome is final
    unanswered: bool = False  # the storage stopped answering: it may hold the file anyway


def transfer(
    storage: Storage, job: FileJob, progress: Callable[[int], None], cancel: threading.Event
) -> FileOutcome:
    def tick(count: int) -> None:
        if cancel.is_set():
            raise Cancelled
        progress(count)

    try:
        if job.resume or job.registered:
            found = _probe(storage, job)
            if found is not None:
                return _verify_present(job, found, tick)
            if job.adds_to_registered:
                # A frame the registered sequence does not hold, into its folder:
                # writing it would change a registered Version.
                return FileOutcome(
                    FileStatus.CONFLICT,
                    reason=f"the registered Version holds no frame {job.bucket}/{job.key}; "
                    "not added",
                )
        # The manifest's checksum is checked while sending; the registered one after.
        check = job.manifest or job.expected
        staged = storage.stage_file(
            job.bucket,
            job.key,
            job.source,
            checksum_algorithm=job.algorithm,
            expected_checksum=[c for c in (check, job.mhl) if c],
            metadata={**(job.metadata or {}), **_expected_metadata(check)},
            progress=tick,
        )
    except Cancelled:
        return FileOutcome(FileStatus.CANCELLED, reason="interrupted")
    except IntegrityError as exc:
        failed = exc.context.get("expected", check)
        if job.expected_is_registered and not job.manifest and failed != job.mhl:
            return _registered_conflict(job)
        actual = exc.context.get("actual")
        message = f"checksum mismatch: expected {failed}, got {actual}" if actual else None
        return FileOutcome(FileStatus.MISMATCH, reason=message or exc.message)
    except ObjectConflict as exc:  # other content stored at the key meanwhile: not replaced
        return FileOutcome(FileStatus.CONFLICT, reason=exc.message)
    except OnePieceError as exc:
        if cancel.is_set():
            return FileOutcome(FileStatus.CANCELLED, reason="interrupted")
        unanswered = isinstance(exc, StorageUnavailable)
        return FileOutcome(FileStatus.FAILED, reason=exc.message, unanswered=unanswered)
    except OSError as exc:
        return FileOutcome(FileStatus.FAILED, reason=f"cannot read {job.path}: {exc.strerror}")
    info = staged.info
    if job.manifest and job.expected_is_registered and info.checksum != job.expected:
        storage.discard([staged])
        return _registered_conflict(job)
    if info.size != job.size:
        storage.discard([staged])
        return FileOutcome(
            FileStatus.FAILED,
            info.checksum,
            f"the file changed during the ingest ({job.size} bytes scanned, {info.size} sent)",
        )
    return FileOutcome(FileStatus.UPLOADED, info.checksum, staged=staged)


def confirm_stored(storage: Storage, job: FileJob) -> FileOutcome | None:
    """After a put the storage never answered: the object, if it landed whole and verified.

    Returns an ``uploaded`` outcome to commit, or None when it is not there as
    sent. Raises StorageUnavailable while the storage still does not answer.
    """
    try:
        found = storage.head(job.bucket, job.key)
    except ObjectNotFound:
        return None
    if not found.checksum or found.size != job.size:
        return None
    verdict = _verify_present(replace(job, registered=False), found, lambda count: None)
    if verdict.status is not FileStatus.SKIPPED:
        return None
    reason = "stored; the storage's answer was lost and the object was checked afterwards"
    return replace(verdict, status=FileStatus.UPLOADED, reason=reason)


def _registered_conflict(job: FileJob) -> FileOutcome:
    reason = f"differs from the registered version's checksum {job.expected}; not stored"
    return FileOutcome(FileStatus.CONFLICT, reason=reason)


def _probe(storage: Storage, job: FileJob) -> ObjectInfo | None:
    if job.listed:
        if job.known is None:
            return None  # not there when the folder was listed: no request needed
        if job.known.checksum:
            return job.known
    try:
        info = storage.head(job.bucket, job.key)
    except ObjectNotFound:
        return None
    # Without a recorded checksum the object was not written by us: not verified.
    return info if info.checksum else None


def _verify_present(job: FileJob, found: ObjectInfo, tick: Callable[[int], None]) -> FileOutcome:
    """What the object already stored under the key settles: the same file
    (skipped, verified), a delivered file that fails its own checksum
    (mismatch), or other bytes (conflict: never overwritten)."""
    assert found.checksum is not None
    # What the delivery says of its own file (a manifest, an MHL; each must hold):
    # a registered checksum says what is stored, not what was delivered.
    claims = [c for c in (job.manifest, job.mhl) if c]
    if job.expected and not job.expected_is_registered:
        claims.append(job.expected)
    registered = [job.expected] if job.expected and job.expected_is_registered else []
    if found.size == job.size:
        stored = {found.checksum, found.metadata.get(EXPECTED_METADATA_KEY, "")}
        if claims and all(checksum in stored for checksum in [*claims, *registered]):
            return _skipped(found)  # the delivery's own claims match: no need to read it
    local = hash_file(job.source, [found.checksum, *claims, *registered], tick)
    for checksum, actual in zip(claims, local[1:], strict=False):
        if actual != checksum:  # as into a fresh bucket
            return FileOutcome(
                FileStatus.MISMATCH,
                local[0],
                f"checksum mismatch: expected {checksum}, got {actual}",
            )
    same = local[0] == found.checksum and found.size == job.size
    if same and local[1 + len(claims) :] == registered:
        return _skipped(found)
    # Other bytes under this key: a registered Version's media here, or maybe
    # another project's or a concurrent run's that this run cannot see in its
    # tracker. Never overwritten either way.
    whose = "the registered" if job.registered else "a stored"
    return FileOutcome(
        FileStatus.CONFLICT,
        reason=f"differs from {whose} object at {job.bucket}/{job.key} "
        f"({found.checksum}); not overwritten",
    )


def _skipped(found: ObjectInfo) -> FileOutcome:
    # Committed too: it may be what an interrupted run published but never flushed.
    return FileOutcome(
        FileStatus.SKIPPED, found.checksum, "already present and verified", StagedObject(found)
    )


def hash_file(path: Path, checksums: list[str], tick: Callable[[int], None]) -> list[str]:
    """Hash ``path`` once in the algorithm (and width) of each given checksum."""
    hashers = []
    for checksum in checksums:
        algorithm, digest = parse_checksum(checksum)
        hashers.append((algorithm, new_hasher(algorithm, len(digest))))
    buffer = chunk_buffer()  # one per thread, reused: a frame costs no allocation
    view = memoryview(buffer)
    with open(path, "rb", buffering=0) as handle:
        while count := handle.readinto(buffer):
            for _, hasher in hashers:
                hasher.update(view[:count])  # type: ignore[arg-type]  # any buffer works
            tick(count)
    return [format_checksum(algorithm, hasher.hexdigest()) for algorithm, hasher in hashers]


def _expected_metadata(expected: str | None) -> dict[str, str]:
    return {EXPECTED_METADATA_KEY: expected} if expected else {}
