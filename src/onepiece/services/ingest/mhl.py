"""Ingest and ASC MHL: verify a delivery against the vendor's hash lists, record what we stored.

A delivery's ``ascmhl/`` history (chain verified first), its top-level MHL v1
files, or ``--mhl FILE`` say what the folder holds. Their own files are never
ingested as media. Every delivered file must be listed (else invalid, like a
manifest), every listed file must be delivered (a report row), and each
listed file is checked in the list's own hash format during the single read
that sends it (``FileJob.mhl``). Each v2 history is kept in storage with the
Versions it lists (``services/mhl/custody.py``), so their deliveries continue
it. With ``--mhl-out`` a generation recording the stored keys and
OnePiece's hashes is written at the top of the bucket.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import url2pathname

from onepiece.adapters.storage.base import Storage
from onepiece.domain.bucket_names import RESERVED_MARKER
from onepiece.domain.checksums import parse_checksum
from onepiece.domain.ingest_plan import FileStatus, IngestPlan, PlannedFile, PlannedVersion
from onepiece.domain.mhl import (
    CHAIN_FILE,
    CHECK_ORDER,
    DEFAULT_IGNORE,
    HASH_FORMATS,
    HISTORY_FOLDER,
    ChainLink,
    MhlEntry,
    parse_chain,
)
from onepiece.domain.mhl_custody import FOLDER_KEY, HISTORY_KEY
from onepiece.domain.review_media import DERIVED_PATTERNS
from onepiece.errors import ObjectNotFound
from onepiece.services.ingest.scan import ScanResult
from onepiece.services.mhl.custody import CUSTODY_FOLDER, custody_ref, keep
from onepiece.services.mhl.history import (
    MhlSource,
    creator,
    find_mhl,
    new_generation,
    read_bounded,
)

STORED_STATUSES = (FileStatus.UPLOADED, FileStatus.SKIPPED)


def load(folder: Path, explicit: Path | None) -> MhlSource | None:
    return find_mhl(folder, explicit)


def drop_history_files(scan: ScanResult, root: Path, mhl: MhlSource | None) -> ScanResult:
    """The scan without the hash lists themselves (``ascmhl/`` is recognised, never media)."""
    own = {p.resolve() for p in mhl.files} if mhl else set()
    keep = [
        f
        for f in scan.files
        if HISTORY_FOLDER not in f.path.split("/")[:-1]  # any history: the root's, a card's
        and not (own and f.path in scan.sources and scan.sources[f.path].resolve() in own)
    ]
    kept = {f.path for f in keep}
    return ScanResult(keep, {p: s for p, s in scan.sources.items() if p in kept})


def mark_unlisted(scan: ScanResult, mhl: MhlSource) -> ScanResult:
    """A delivered file the MHL does not list is invalid (its Version is held back).

    Files the lists' own ignore patterns cover are not checked against them.
    """
    expected = mhl.expected
    files = [
        f
        if f.problem or f.path in expected or mhl.ignores(f.path)
        else replace(f, problem=f"not listed in the MHL {mhl.name}")
        for f in scan.files
    ]
    return ScanResult(files, scan.sources)


def apply(plan: IngestPlan, mhl: MhlSource, root: Path, kept_out: frozenset[Path]) -> None:
    """Give each planned file its MHL hash; listed files not delivered get a report row.

    ``kept_out`` are files of the folder that are not media (the manifest kept inside).
    """
    expected = mhl.expected
    rows = {row.path: row for row in plan.files}
    skip = {p.resolve() for p in kept_out}
    for path, entry in expected.items():
        row = rows.get(path)
        if row is None and (root / path).resolve() in skip:
            continue
        if row is None:
            reason = f"listed in the MHL ({entry.where}) but not delivered"
            plan.files.append(PlannedFile(path, entry.size or 0, FileStatus.INVALID, reason))
            continue
        algorithm = next(a for a in CHECK_ORDER if a in entry.hashes)
        row.mhl_checksum = f"{algorithm}:{entry.hashes[algorithm]}"
    plan.files.sort(key=lambda r: r.path)


def record_custody(plan: IngestPlan, mhl: MhlSource) -> None:
    """Versions a vendor history lists remember it (kept in storage by ``keep_histories``)
    and their folder in the vendor's tree, so a delivery continues that history."""
    histories = sorted(mhl.histories, key=lambda history: len(history.prefix), reverse=True)
    for version in plan.versions:
        paths = version.media.paths
        for history in histories:  # the innermost history holding the files
            if paths[0].startswith(history.prefix) and any(p in history.paths for p in paths):
                version.metadata[HISTORY_KEY] = custody_ref(plan.bucket, history.chain_c4)
                folder = posixpath.dirname(paths[0].removeprefix(history.prefix))
                version.metadata[FOLDER_KEY] = folder
                break


def keep_histories(
    storage: Storage, bucket: str, mhl: MhlSource | None, versions: Iterable[PlannedVersion]
) -> None:
    """Store the vendor histories the Versions about to be registered refer to."""
    used = {version.metadata.get(HISTORY_KEY) for version in versions}
    for history in mhl.histories if mhl else []:
        if custody_ref(bucket, history.chain_c4) in used:
            keep(storage, bucket, history.folder, history.chain_c4)


def stored_entries(plan: IngestPlan) -> list[MhlEntry]:
    """What this run stored, by key, with OnePiece's hash and the vendor's when checked."""
    entries = []
    for row in plan.files:
        if row.status not in STORED_STATUSES or row.key is None:
            continue
        hashes: dict[str, str] = {}
        for checksum in (row.checksum, row.mhl_checksum):
            if checksum:
                algorithm, digest = parse_checksum(checksum)
                if algorithm == "xxh3" and len(digest) == 32:
                    algorithm = "xxh128"
                if algorithm in HASH_FORMATS:
                    hashes[algorithm] = digest
        if hashes:
            entries.append(MhlEntry(row.key, hashes, row.size))
    return entries


def _existing_chain(storage: Storage, bucket: str, key: str) -> list[ChainLink]:
    uri = storage.uri(bucket, key)
    if uri.startswith("file:"):
        # Local storage is a folder other tools work on too (``ascmhl create`` extends
        # the chain in place, without our sidecar): the file on disk is the chain.
        path = Path(url2pathname(urlparse(uri).path))
        return parse_chain(read_bounded(path), key) if path.is_file() else []
    try:
        return parse_chain(storage.get_bytes(bucket, key), key)
    except ObjectNotFound:
        return []


def write_stored_generation(storage: Storage, bucket: str, plan: IngestPlan) -> str | None:
    """A new generation at the top of the bucket; its key, or None when nothing was stored."""
    entries = stored_entries(plan)
    if not entries:
        return None
    chain_key = f"{HISTORY_FOLDER}/{CHAIN_FILE}"
    existing = _existing_chain(storage, bucket, chain_key)
    # Local storage keeps its own files (sidecars, locks) beside the data, and
    # review media are derived after the fact: neither is part of the delivery.
    # Vendor histories kept for the chain of custody are not media either.
    ignore = [*DEFAULT_IGNORE, f"{RESERVED_MARKER}*", *DERIVED_PATTERNS, f"{CUSTODY_FOLDER}/"]
    name, data, chain = new_generation(
        existing, bucket, entries, creator("onepiece ingest"), ignore
    )
    storage.put_bytes(bucket, f"{HISTORY_FOLDER}/{name}", data)
    storage.put_bytes(bucket, chain_key, chain)  # the generation is stored before it is named
    return f"{HISTORY_FOLDER}/{name}"
