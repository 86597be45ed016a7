"""Verify a folder against its ASC MHL (``onepiece validate mhl``).

The history's chain is checked first (IntegrityError when broken), then every
listed file is read once, in parallel, and hashed in the list's fastest
format; files the list does not know are reported too. The folder is only
ever read.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

from onepiece.adapters.storage.streaming import chunk_buffer
from onepiece.domain.checksums import new_hasher
from onepiece.domain.ingest_plan import SYSTEM_FILES
from onepiece.domain.mhl import CHECK_ORDER, HISTORY_FOLDER, MhlEntry
from onepiece.errors import ValidationError
from onepiece.services.ingest.scan import check_folder
from onepiece.services.mhl.history import MhlSource, find_mhl, relative_to

Progress = Callable[[int], None]


@dataclass(frozen=True)
class MhlDifference:
    kind: str  # missing | mismatch | unlisted | unreadable
    path: str
    detail: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


@dataclass
class MhlVerification:
    source: str
    checked: int
    size: int
    differences: list[MhlDifference]


def plan(folder: Path, explicit: Path | None = None) -> tuple[Path, MhlSource]:
    root = check_folder(folder)
    source = find_mhl(root, explicit)
    if source is None:
        raise ValidationError(
            f"{folder} has no ASC MHL history ({HISTORY_FOLDER}/) nor MHL file",
            hint="pass the list with --mhl FILE",
        )
    return root, source


def verify(
    root: Path, source: MhlSource, progress: Progress | None = None, workers: int = 4
) -> MhlVerification:
    expected = source.expected
    differences: list[MhlDifference] = []
    present: list[tuple[MhlEntry, Path]] = []
    for path, entry in sorted(expected.items()):
        target = root / path
        if not target.is_file():
            differences.append(MhlDifference("missing", path, f"listed in {entry.where}"))
        else:
            present.append((entry, target))
    tick = progress or (lambda count: None)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mhl") as pool:
        for found in pool.map(lambda item: _check(item[0], item[1], tick), present):
            if found is not None:
                differences.append(found)
    differences += _unlisted(root, source, set(expected))
    size = sum(target.stat().st_size for _, target in present)
    return MhlVerification(source.name, len(present), size, differences)


def total_size(root: Path, source: MhlSource) -> int:
    sizes = (os.stat(root / p).st_size for p in source.expected if (root / p).is_file())
    return sum(sizes)


def _check(entry: MhlEntry, target: Path, tick: Progress) -> MhlDifference | None:
    algorithm = next(a for a in CHECK_ORDER if a in entry.hashes)
    wanted = entry.hashes[algorithm]
    hasher = new_hasher(algorithm, len(wanted))
    buffer = chunk_buffer()
    view = memoryview(buffer)
    try:
        with open(target, "rb", buffering=0) as handle:
            while count := handle.readinto(buffer):
                hasher.update(view[:count])  # type: ignore[arg-type]  # any buffer works
                tick(count)
    except OSError as exc:
        return MhlDifference("unreadable", entry.path, (exc.strerror or str(exc)).lower())
    actual = hasher.hexdigest()
    if actual != wanted:
        detail = f"expected {algorithm}:{wanted}, got {algorithm}:{actual} ({entry.where})"
        return MhlDifference("mismatch", entry.path, detail)
    return None


def _unlisted(root: Path, source: MhlSource, listed: set[str]) -> list[MhlDifference]:
    own = {p.resolve() for p in source.files}
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d != HISTORY_FOLDER)  # histories, read already
        for name in sorted(files):
            path = Path(folder) / name
            rel = relative_to(root, path)
            if rel in listed or path.resolve() in own or name.lower() in SYSTEM_FILES:
                continue
            if source.ignores(rel):
                continue
            found.append(MhlDifference("unlisted", rel, f"not listed in {source.name}"))
    return found
