"""Planning a delivery and writing its manifests (pure: no I/O).

A delivery turns approved Versions into package entries: one entry per media
file (one per frame for a sequence), each with a safe relative name inside
the package, the storage URI it comes from, and the checksum and size it must
have. Upstream manifest data (what the vendor or client originally sent) is
preferred over tracker data for names and checksums.
"""

from __future__ import annotations

import csv
import io
import json
import posixpath
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from onepiece.domain.entities import Version
from onepiece.domain.media_paths import parse_storage_uri, with_name
from onepiece.domain.mhl_custody import FOLDER_KEY, HISTORY_KEY
from onepiece.domain.safe_paths import check_name, safe_component, safe_relative_path
from onepiece.domain.sequences import expand_frames, frame_token
from onepiece.errors import ValidationError

CONTEXTS = ("vendor_out", "client_out")
ProblemKind = Literal["unsafe_name", "no_media", "missing_media", "checksum_mismatch"]
MANIFEST_COLUMNS = (
    "name",
    "version",
    "episode",
    "sequence",
    "shot",
    "frame",
    "size",
    "checksum",
    "source",
)


@dataclass(frozen=True)
class UpstreamEntry:
    """One row of an upstream manifest, keyed by file name."""

    file_name: str
    delivery_path: str | None = None
    checksum: str | None = None
    episode: str | None = None
    sequence: str | None = None
    shot: str | None = None


@dataclass(frozen=True)
class Custody:
    """The vendor's ASC MHL history kept with a Version's media (docs/mhl.md)."""

    history: str  # "<bucket>/<prefix>" where it is kept
    path: str  # this file's path in the vendor's tree


@dataclass(frozen=True)
class PlannedFile:
    version: str
    source: str  # storage URI
    name: str  # safe relative path inside the package
    expected_checksum: str | None
    expected_size: int | None
    episode: str | None = None
    sequence: str | None = None
    shot: str | None = None
    frame: int | None = None
    custody: Custody | None = None


@dataclass(frozen=True)
class Problem:
    version: str
    kind: ProblemKind
    reason: str
    source: str | None = None


@dataclass(frozen=True)
class DeliveredFile:
    name: str
    version: str
    size: int
    checksum: str
    source: str
    episode: str | None = None
    sequence: str | None = None
    shot: str | None = None
    frame: int | None = None
    custody: Custody | None = None


@dataclass
class DeliveryPlan:
    files: list[PlannedFile] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def versions(self) -> list[str]:
        return sorted({f.version for f in self.files})


def check_context(context: str) -> str:
    if context not in CONTEXTS:
        raise ValidationError(
            f"unknown delivery context {context!r}", hint=f"use one of {', '.join(CONTEXTS)}"
        )
    return context


def _folder(version: Version, upstream: UpstreamEntry | None) -> list[str]:
    """Package folders: episode/sequence/shot/version, tracker fields made safe."""
    episode = (upstream and upstream.episode) or version.episode
    sequence = (upstream and upstream.sequence) or version.sequence
    shot = (upstream and upstream.shot) or version.shot
    named = [("episode", episode), ("sequence", sequence), ("shot", shot)]
    named.append(("version", version.code))
    # Tracker fields are untrusted: '..', separators or a leading '.' never make a folder.
    return [check_name(value, kind) for kind, value in named if value]


def _entry_name(
    package: str, version: Version, file_name: str, upstream: UpstreamEntry | None
) -> str:
    if upstream is not None and upstream.delivery_path:
        # The upstream manifest's own layout wins, but it is untrusted input.
        return safe_relative_path(f"{package}/{safe_relative_path(upstream.delivery_path)}")
    parts = [package, *_folder(version, upstream), safe_component(file_name, what="file name")]
    return safe_relative_path("/".join(parts))


def plan_delivery(
    versions: Iterable[Version],
    package: str,
    upstream: Mapping[str, UpstreamEntry] | None = None,
    frame_checksums: Mapping[str, str] | None = None,
) -> DeliveryPlan:
    """Expand Versions into package entries; unsafe or pathless ones become problems.

    ``upstream`` maps file names to upstream manifest rows; ``frame_checksums``
    maps storage URIs of individual frames to recorded checksums (published
    files), so each frame of a sequence is verified on its own.
    """
    upstream = upstream or {}
    frame_checksums = frame_checksums or {}
    plan = DeliveryPlan()
    seen: set[str] = set()
    safe_relative_path(package)
    for version in sorted(versions, key=lambda v: v.code):
        if not version.path:
            plan.problems.append(Problem(version.code, "no_media", "version has no media path"))
            continue
        try:
            base_name = parse_storage_uri(version.path).name
            if frame_token(base_name) is None:
                frames: list[tuple[int | None, str]] = [(None, base_name)]
            else:
                frames = list(
                    expand_frames(
                        base_name, version.frame_range, version.frame_first, version.frame_last
                    )
                )
        except ValidationError as exc:
            plan.problems.append(Problem(version.code, "no_media", exc.message, version.path))
            continue
        for frame, file_name in frames:
            source = version.path if frame is None else with_name(version.path, file_name)
            row = upstream.get(file_name)
            try:
                name = _entry_name(package, version, file_name, row)
            except ValidationError as exc:
                plan.problems.append(Problem(version.code, "unsafe_name", exc.message, source))
                continue
            if name in seen:
                plan.problems.append(
                    Problem(version.code, "unsafe_name", f"duplicate entry name {name}", source)
                )
                continue
            seen.add(name)
            recorded = version.checksum if frame is None else frame_checksums.get(source)
            plan.files.append(
                PlannedFile(
                    version=version.code,
                    source=source,
                    name=name,
                    expected_checksum=(row and row.checksum) or recorded,
                    expected_size=version.size if frame is None else None,
                    episode=version.episode,
                    sequence=version.sequence,
                    shot=version.shot,
                    frame=frame,
                    custody=_custody(version, file_name),
                )
            )
    return plan


def _custody(version: Version, file_name: str) -> Custody | None:
    """Where the vendor's history put this file; tracker metadata is untrusted."""
    history = version.metadata.get(HISTORY_KEY)
    folder = version.metadata.get(FOLDER_KEY) or ""
    if not history or not isinstance(history, str) or not isinstance(folder, str):
        return None
    try:
        return Custody(history, safe_relative_path(posixpath.join(folder, file_name)))
    except ValidationError:
        return None


def _entry_row(entry: DeliveredFile) -> dict[str, Any]:
    row = asdict(entry)
    return {column: row.get(column) for column in MANIFEST_COLUMNS}


def manifest_document(
    record: Mapping[str, Any],
    entries: Sequence[DeliveredFile],
    problems: Sequence[Problem] = (),
) -> dict[str, Any]:
    """The JSON manifest: the audit record, every entry, and what was left out."""
    return {
        "delivery": dict(record),
        "entries": [_entry_row(e) for e in entries],
        "problems": [asdict(p) for p in problems],
    }


def manifest_json(document: Mapping[str, Any]) -> bytes:
    return (json.dumps(document, indent=2, default=str) + "\n").encode("utf-8")


def manifest_csv(entries: Sequence[DeliveredFile]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=MANIFEST_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for entry in entries:
        writer.writerow(_entry_row(entry))
    return buffer.getvalue().encode("utf-8")
