"""The ASC MHL history a delivery carries (``<package>/ascmhl/``), beside its manifests.

A generation listing every delivered file with the hash computed while it
was packaged (xxh3 by default, or the recorded md5...), plus the package's
own manifest files, so the receiving side can run ``ascmhl verify`` on the
unpacked folder. When the media came with a vendor's history (kept at
ingest, ``services/mhl/custody.py``), the vendor's generations are copied
unchanged and ours is the next one, naming where each file was in the
vendor's tree (``domain/mhl_custody.py``): the chain of custody continues.
Only one chain fits in one ``ascmhl/`` folder: when the files come from
several vendor histories, the one holding most of them is continued and the
others' files are listed as ours alone. A checksum in a format MHL does not
define (sha256) cannot be listed: those files are named in the result.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from onepiece.domain.checksums import new_hasher, parse_checksum
from onepiece.domain.delivery import Custody, DeliveredFile, PlannedFile
from onepiece.domain.mhl import (
    CHAIN_FILE,
    DEFAULT_IGNORE,
    HASH_FORMATS,
    HISTORY_FOLDER,
    ChainLink,
    MhlEntry,
)
from onepiece.domain.mhl_custody import CustodyRow, continuation
from onepiece.services.mhl.custody import KeptHistory
from onepiece.services.mhl.history import creator, new_generation

log = logging.getLogger(__name__)

Row = tuple[str, str | None, int, Custody | None]  # path in the folder, checksum, size, custody


def mhl_hashes(checksum: str) -> dict[str, str]:
    """``algo:hex`` as MHL hashes (xxh3 of 32 digits is XXH3-128, MHL's xxh128)."""
    algorithm, digest = parse_checksum(checksum)
    if algorithm == "xxh3" and len(digest) == 32:
        algorithm = "xxh128"
    return {algorithm: digest} if algorithm in HASH_FORMATS else {}


def vendor_histories(files: Iterable[PlannedFile]) -> set[str]:
    """The kept vendor histories the planned files refer to."""
    return {f.custody.history for f in files if f.custody is not None}


def history_files(
    package: str,
    entries: Sequence[DeliveredFile],
    extra: Mapping[str, bytes],
    kept: Mapping[str, KeptHistory] | None = None,
) -> tuple[dict[str, bytes], list[str]]:
    """(path inside the package -> bytes, names left out for lack of an MHL hash).

    ``extra`` are files written into the package (its manifests), by their path
    inside it; they are hashed here. ``kept`` are the vendors' histories, by ref.
    """
    prefix = f"{package}/"
    files = [(e.name.removeprefix(prefix), e.checksum, e.size, e.custody) for e in entries]
    return history_for(package, files, extra, kept)


def history_for(
    folder_name: str,
    files: Iterable[Row],
    extra: Mapping[str, bytes],
    kept: Mapping[str, KeptHistory] | None = None,
) -> tuple[dict[str, bytes], list[str]]:
    """``history_files`` for (path inside the folder, checksum, size, custody) rows."""
    files = list(files)
    base = _base(files, kept or {})
    rows: list[CustodyRow] = []
    left_out: list[str] = []
    for path, checksum, size, custody in files:
        hashes = mhl_hashes(checksum) if checksum else {}
        if not hashes:
            left_out.append(path)
            continue
        rows.append(CustodyRow(path, hashes, size, _vendor_path(custody, base, kept or {})))
    for path, data in extra.items():
        hasher = new_hasher("xxh3")
        hasher.update(data)
        rows.append(CustodyRow(path, {"xxh3": hasher.hexdigest()}, len(data)))
    members: dict[str, bytes] = {}
    existing: list[ChainLink] = []
    if base is None:
        entries = [MhlEntry(row.path, row.hashes, row.size) for row in rows]
        ignore: list[str] = list(DEFAULT_IGNORE)
    else:
        continued = continuation(base.lists, rows)
        entries, ignore, existing = continued.entries, continued.ignore, base.links
        _warn(base, files, kept or {}, continued.unresolved, continued.clashes)
        members = {
            f"{HISTORY_FOLDER}/{name}": data
            for name, data in base.files.items()
            if name != CHAIN_FILE  # rewritten with our generation added
        }
    who = creator("onepiece delivery")
    name, generation, chain = new_generation(existing, folder_name, entries, who, ignore)
    members[f"{HISTORY_FOLDER}/{name}"] = generation
    members[f"{HISTORY_FOLDER}/{CHAIN_FILE}"] = chain
    return members, left_out


def _base(files: list[Row], kept: Mapping[str, KeptHistory]) -> KeptHistory | None:
    """The vendor history to continue: the one most delivered files came with, counting
    those that came with an earlier state of it (the same folder, fewer generations)."""
    counts = Counter(
        row[3].history for row in files if row[3] is not None and row[3].history in kept
    )
    if not counts:
        return None

    def covered(ref: str) -> int:  # files of this history or of an earlier state of it
        return sum(n for other, n in counts.items() if kept[ref].same_folder_as(kept[other]))

    # Ties: the longest history (it holds the shorter states of the same folder).
    best = max(counts, key=lambda ref: (covered(ref), len(kept[ref].links), ref))
    return kept[best]


def _vendor_path(
    custody: Custody | None, base: KeptHistory | None, kept: Mapping[str, KeptHistory]
) -> str | None:
    if custody is None or base is None or custody.history not in kept:
        return None
    # The same vendor folder at an earlier state is the same tree: its paths hold.
    return custody.path if base.same_folder_as(kept[custody.history]) else None


def _warn(
    base: KeptHistory,
    files: list[Row],
    kept: Mapping[str, KeptHistory],
    unresolved: list[str],
    clashes: list[str],
) -> None:
    """Say where the continued history is weaker than the vendor's (stderr, not an error)."""
    others = [
        row[0]
        for row in files
        if row[3] is not None
        and row[3].history in kept
        and _vendor_path(row[3], base, kept) is None
    ]
    if others:
        log.warning(
            "%d file(s) came with another vendor MHL history than %s: listed as ours only "
            "(first: %s)",
            len(others),
            base.ref,
            others[0],
        )
    if unresolved:
        log.warning(
            "%d vendor file(s) not delivered could not be ignored without hiding a delivered "
            "file: `ascmhl verify` reports them missing (first: %s)",
            len(unresolved),
            unresolved[0],
        )
    if clashes:
        log.info("ignored in the MHL, where the vendor listed other bytes: %s", ", ".join(clashes))
