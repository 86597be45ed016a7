"""Comparing what the tracker says with what storage holds (pure).

Inputs are plain records gathered by ``services.reconcile``; the output is a
list of differences, each with a kind, the version or shot it concerns, and
where. Checksums are compared in their canonical ``algo:hex`` form.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import PurePosixPath
from typing import Any, Literal

from onepiece.domain.checksums import format_checksum, parse_checksum
from onepiece.errors import ValidationError

Kind = Literal[
    "missing_from_storage",
    "mismatch",  # the stored bytes are not the tracked file (size, changed, re-hash)
    "unknown_to_tracker",
    "unexpected",  # a file in storage that no OnePiece write made (no metadata)
    "checksum_mismatch",
    "manifest_mismatch",
    "shot_without_media",
    "shot_unknown_to_tracker",
]
KINDS: tuple[str, ...] = Kind.__args__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class TrackedFile:
    version: str
    bucket: str
    key: str
    checksum: str | None = None
    size: int | None = None


@dataclass(frozen=True)
class StoredObject:
    bucket: str
    key: str
    size: int
    checksum: str | None = None  # recorded in the object's metadata
    described: bool = True  # False: local file its metadata does not describe (changed, stray)
    rehashed: str | None = None  # the stored bytes hashed again (--verify)


@dataclass(frozen=True)
class Difference:
    kind: Kind
    subject: str  # version code, shot code or file name
    location: str  # bucket/key, or a folder
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def canonical(checksum: str | None) -> str | None:
    if not checksum:
        return None
    try:
        return format_checksum(*parse_checksum(checksum))
    except ValidationError:
        return checksum.strip().lower()


def differ(want: str | None, have: str | None) -> bool:
    """Both known, same algorithm and width, different digests (else not comparable)."""
    if not want or not have:
        return False
    algo_want, digest_want = want.split(":", 1)
    algo_have, digest_have = have.split(":", 1)
    if algo_want != algo_have or len(digest_want) != len(digest_have):
        return False
    return digest_want != digest_have


def compare_versions(
    tracked: Sequence[TrackedFile],
    stored: Iterable[StoredObject],
    manifest: Mapping[str, str] | None = None,
) -> list[Difference]:
    """Versions missing from storage, unknown objects, checksum and manifest mismatches."""
    objects = {(o.bucket, o.key): o for o in stored}
    known = {(t.bucket, t.key) for t in tracked}
    differences: list[Difference] = []
    for item in tracked:
        where = f"{item.bucket}/{item.key}"
        found = objects.get((item.bucket, item.key))
        if found is None:
            differences.append(Difference("missing_from_storage", item.version, where))
            continue
        difference = _stored_difference(item, found)
        if difference is not None:
            differences.append(Difference(difference[0], item.version, where, difference[1]))
    for bucket, key in sorted(objects):
        if (bucket, key) not in known:
            kind: Kind = "unknown_to_tracker" if objects[bucket, key].described else "unexpected"
            detail = "" if kind == "unknown_to_tracker" else "not written by OnePiece (no metadata)"
            differences.append(Difference(kind, PurePosixPath(key).name, f"{bucket}/{key}", detail))
    by_name = {PurePosixPath(key).name: o for (_b, key), o in objects.items()}
    for name, checksum in sorted((manifest or {}).items()):
        found = by_name.get(name)
        if found is None:
            differences.append(
                Difference("missing_from_storage", name, "(manifest)", "listed in a manifest")
            )
            continue
        want, have = canonical(checksum), canonical(found.checksum)
        if differ(want, have):
            differences.append(
                Difference(
                    "manifest_mismatch",
                    name,
                    f"{found.bucket}/{found.key}",
                    f"manifest {want}, storage {have}",
                )
            )
    return differences


def _stored_difference(item: TrackedFile, found: StoredObject) -> tuple[Kind, str] | None:
    """How a stored file differs from the tracked one, checked from cheapest to dearest."""
    if item.size is not None and found.size != item.size:
        return "mismatch", f"size {found.size}, tracker {item.size}"
    if not found.described:
        return "mismatch", "changed outside OnePiece: its metadata no longer describes it"
    want, have = canonical(item.checksum), canonical(found.checksum)
    if differ(want, have):
        return "checksum_mismatch", f"tracker {want}, storage {have}"
    # Re-hashed bytes against what the object records, else what the tracker does.
    recorded = have or want
    if differ(recorded, canonical(found.rehashed)):
        return "mismatch", f"stored bytes hash to {found.rehashed}, recorded {recorded}"
    return None


def shot_folder(key: str, layout: str) -> str | None:
    """The key prefix down to the ``{shot}`` segment of ``layout``, if the key is that deep."""
    segments = layout.split("/")
    index = next((i for i, s in enumerate(segments) if "{shot" in s), None)
    parts = key.split("/")
    if index is None or len(parts) <= index + 1:
        return None
    return "/".join(parts[: index + 1])


def compare_shots(
    shots: Iterable[str],
    tracked: Sequence[TrackedFile],
    version_shots: Mapping[str, str | None],
    stored: Iterable[StoredObject],
    layout: str,
) -> list[Difference]:
    """Shots with no media in storage, and shot folders holding only unknown objects.

    A shot has media when a file of one of its Versions is stored. A shot
    folder (the key down to the layout's ``{shot}`` segment) is unknown when
    no tracked file lives in it.
    """
    objects = {(o.bucket, o.key): o for o in stored}
    with_media = {version_shots.get(t.version) for t in tracked if (t.bucket, t.key) in objects}
    known_folders = {
        (t.bucket, folder) for t in tracked if (folder := shot_folder(t.key, layout)) is not None
    }
    differences = [
        Difference("shot_without_media", shot, "(storage)")
        for shot in sorted(set(shots) - {s for s in with_media if s})
    ]
    unknown: set[tuple[str, str]] = set()
    for bucket, key in objects:
        folder = shot_folder(key, layout)
        if folder is not None and (bucket, folder) not in known_folders:
            unknown.add((bucket, folder))
    differences += [
        Difference("shot_unknown_to_tracker", folder.rsplit("/", 1)[-1], f"{bucket}/{folder}")
        for bucket, folder in sorted(unknown)
    ]
    return differences


def summarise(differences: Sequence[Difference]) -> dict[str, int]:
    counts = dict.fromkeys(KINDS, 0)
    for difference in differences:
        counts[difference.kind] += 1
    return {kind: n for kind, n in counts.items() if n} | {"total": len(differences)}
