"""One transfer job per planned file, with what is already stored where that is cheap to know.

Folders holding many files of the delivery (a frame sequence) are listed once
instead of asking about each file: on a fresh ingest that saves a request per
frame, and a resumed one only asks about the files it finds there.
"""

from __future__ import annotations

import posixpath
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace

from onepiece.adapters.storage.base import ObjectInfo, Storage
from onepiece.domain.entities import Version
from onepiece.domain.ingest_plan import PlannedFile, PlannedVersion
from onepiece.services.ingest.options import IngestOptions
from onepiece.services.ingest.scan import ScanResult
from onepiece.services.ingest.transfer import FileJob

LIST_MIN_FILES = 8  # below this, a request per file costs no more than listing


def build_jobs(
    options: IngestOptions,
    scan: ScanResult,
    storage: Storage,
    existing: dict[str, Version | None],
    versions: Sequence[PlannedVersion],
) -> list[tuple[PlannedVersion, PlannedFile, FileJob]]:
    stored = _listed_folders(storage, options.bucket, versions) if options.resume else {}
    jobs = []
    for version in versions:
        for row in version.files:
            registered = existing.get(version.code)
            job = _job(options, scan, registered, version, row, stored)
            if registered is not None and _outside(registered, row, storage, options, version):
                job = replace(job, adds_to_registered=True)
            jobs.append((version, row, job))
    return jobs


def _outside(
    registered: Version,
    row: PlannedFile,
    storage: Storage,
    options: IngestOptions,
    version: PlannedVersion,
) -> bool:
    """A frame the registered sequence does not hold, going where its frames are."""
    frame = row.name.frame if row.name is not None else None
    if frame is None or registered.path != storage.uri(options.bucket, version.path_key):
        return False  # a single file, or the Version's frames live elsewhere
    if registered.frame_range:
        from fileseq.exceptions import ParseException
        from fileseq.frameset import FrameSet

        try:
            return frame not in FrameSet(registered.frame_range)
        except ParseException:
            pass
    first, last = registered.frame_first, registered.frame_last
    return first is not None and last is not None and not first <= frame <= last


def _listed_folders(
    storage: Storage, bucket: str, versions: Sequence[PlannedVersion]
) -> dict[str, dict[str, ObjectInfo]]:
    """Folder -> {key: object} for folders with many of our files."""
    per_folder: dict[str, int] = defaultdict(int)
    for version in versions:
        for row in version.files:
            assert row.key is not None
            per_folder[posixpath.dirname(row.key)] += 1
    listed: dict[str, dict[str, ObjectInfo]] = {}
    for folder, count in per_folder.items():
        if count >= LIST_MIN_FILES and folder:
            listed[folder] = {info.key: info for info in storage.list(bucket, f"{folder}/")}
    return listed


def _job(
    options: IngestOptions,
    scan: ScanResult,
    registered: Version | None,
    version: PlannedVersion,
    row: PlannedFile,
    stored: dict[str, dict[str, ObjectInfo]],
) -> FileJob:
    assert row.key is not None
    algorithm, expected, from_tracker = options.checksum, row.expected_checksum, False
    manifest = None
    if registered is not None and registered.checksum:
        # Compare like with like: hash in the algorithm the Version was registered with,
        # and for a single file the registered checksum is the file's own.
        algorithm = registered.checksum.partition(":")[0]
        if not version.media.is_sequence:
            # The manifest's checksum is still checked, on every run.
            expected, from_tracker, manifest = registered.checksum, True, row.expected_checksum
    folder = stored.get(posixpath.dirname(row.key))
    return FileJob(
        path=row.path,
        source=scan.sources[row.path],
        size=row.size,
        bucket=options.bucket,
        key=row.key,
        algorithm=algorithm,
        expected=expected,
        registered=registered is not None,
        expected_is_registered=from_tracker,
        manifest=manifest,
        resume=options.resume,
        metadata={"version-code": version.code} if version.code.isascii() else None,
        listed=folder is not None,
        known=folder.get(row.key) if folder is not None else None,
        mhl=row.mhl_checksum,
    )
