"""Continuing a vendor's ASC MHL history in a folder laid out differently (pure).

A delivery is laid out by OnePiece (``ep010/sc02/0010/<version>/...``), not
as the vendor delivered it, and holds only some of the vendor's files. The
vendor's generations are copied unchanged; our generation lists every
delivered file, with a ``previousPath`` where the vendor's path differs (the
reference tool then checks the file against the vendor's original hash), and
ignore patterns for the vendor's files that are not in the delivery, so the
history is complete for ``ascmhl verify``. The completeness check is the
reference tool's: every path any generation lists, each followed one rename.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from onepiece.domain.mhl import DEFAULT_IGNORE, HashList, MhlEntry
from onepiece.domain.mhl_ignore import ignore_exactly

# Version metadata naming the vendor history kept with the media ("<bucket>/<prefix>")
# and the folder the Version's files had in the vendor's tree.
HISTORY_KEY = "mhl_history"
FOLDER_KEY = "mhl_folder"


@dataclass(frozen=True)
class CustodyRow:
    path: str  # inside the delivered folder
    hashes: dict[str, str]  # what OnePiece computed, MHL format -> digest
    size: int | None
    vendor_path: str | None = None  # the same file in the vendor's history


@dataclass
class Continuation:
    entries: list[MhlEntry]
    ignore: list[str]
    # Vendor files left out whose ignore pattern would also hide a delivered file:
    # the reference tool reports them missing.
    unresolved: list[str] = field(default_factory=list)
    # Files of ours where the vendor listed other bytes: ignored, not listed.
    clashes: list[str] = field(default_factory=list)


def continuation(vendor: Sequence[HashList], rows: Sequence[CustodyRow]) -> Continuation:
    """Our generation's entries and ignore patterns on top of ``vendor``'s generations.

    A row's vendor path becomes a ``previousPath`` only when the vendor listed
    it: the reference tool checks the file against that path's original hash.
    The tool checks a path against the first hash any generation recorded for
    it, so a file of ours where the vendor listed another one (our
    ``manifest.json`` over the vendor's) cannot be listed: it is ignored.
    """
    vendor_paths = {entry.path for hashlist in vendor for entry in hashlist.entries}
    clashes = sorted(r.path for r in rows if r.path in vendor_paths and r.vendor_path != r.path)
    clashing = set(clashes)
    entries = [
        MhlEntry(
            row.path,
            row.hashes,
            row.size,
            row.vendor_path
            if row.vendor_path != row.path and row.vendor_path in vendor_paths
            else None,
        )
        for row in rows
        if row.path not in clashing
    ]
    listed_now = {entry.path for entry in entries}
    listed: set[str] = set()
    renamed: dict[str, str] = {}
    for hashlist in [*vendor, HashList("ours", entries)]:  # later renames win, as in the tool
        listed.update(hashlist.directories)  # the tool expects the vendor's folders too
        for entry in hashlist.entries:
            listed.add(entry.path)
            if entry.previous_path:
                renamed[entry.previous_path] = entry.path
    left_out = sorted({renamed.get(path, path) for path in listed} - listed_now)
    # "**/a/b" covers any path holding "a/b" (as a file or a folder): such a
    # pattern would hide a file we list, so it is not written.
    spans = {"/".join(parts[i:j]) for parts in map(_parts, listed_now) for i, j in _pairs(parts)}
    ignore = [*DEFAULT_IGNORE, *(ignore_exactly(p) for p in left_out if p not in spans)]
    return Continuation(entries, ignore, [p for p in left_out if p in spans], clashes)


def _parts(path: str) -> list[str]:
    return path.split("/")


def _pairs(parts: list[str]) -> list[tuple[int, int]]:
    return [(i, j) for i in range(len(parts)) for j in range(i + 1, len(parts) + 1)]
