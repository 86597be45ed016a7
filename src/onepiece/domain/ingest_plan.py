"""Plan an ingest: match delivered files against names, the manifest and the layout.

Pure: the service scans the folder and hands over ``ScannedFile`` rows; the plan
says, for every file, whether it is ready (with its destination key and the
checksum the manifest promises) or invalid (with the reason), and groups the
ready files into one ``PlannedVersion`` per Version code. A Version with any
bad file is held back whole: half a sequence is never registered.

With a manifest, every entry must match a delivered file and every delivered
file must be in the manifest; fields the manifest states must agree with the
file name.
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from onepiece.domain.checksums import format_checksum, new_hasher
from onepiece.domain.layout import Layout
from onepiece.domain.manifest import Manifest, ManifestEntry
from onepiece.domain.media import MediaItem, group_media
from onepiece.domain.naming import NAME_FIELDS, NamingRules, ParsedName, parse_name
from onepiece.errors import ValidationError

# Names every OS sprinkles into folders; reported as ignored, never ingested.
SYSTEM_FILES = {".ds_store", "thumbs.db", "desktop.ini"}


class FileStatus(StrEnum):
    READY = "ready"  # planned, not yet sent
    INVALID = "invalid"  # refused before any transfer, see reason
    IGNORED = "ignored"  # system file (.DS_Store...)
    UPLOADED = "uploaded"
    SKIPPED = "skipped"  # already present and verified
    MISMATCH = "mismatch"  # data differs from the manifest checksum
    CONFLICT = "conflict"  # differs from what is registered under the same version
    FAILED = "failed"  # transfer error
    CANCELLED = "cancelled"  # run interrupted before this file finished


class VersionStatus(StrEnum):
    READY = "ready"
    REGISTERED = "registered"  # created by this run
    EXISTING = "existing"  # already registered with the same checksum
    CONFLICT = "conflict"
    FAILED = "failed"  # the tracker refused or failed
    INCOMPLETE = "incomplete"  # a file failed or mismatched: not registered
    INVALID = "invalid"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class ScannedFile:
    path: str  # relative to the delivery, '/'-separated
    size: int
    problem: str | None = None  # found by the scan: unreadable, empty, symlink...


@dataclass
class PlannedFile:
    path: str
    size: int
    status: FileStatus
    reason: str | None = None
    name: ParsedName | None = None
    version_code: str | None = None
    key: str | None = None
    expected_checksum: str | None = None  # from the manifest
    checksum: str | None = None  # computed while sending
    mhl_checksum: str | None = None  # from the delivery's ASC MHL, checked in the same read


@dataclass
class PlannedVersion:
    code: str
    media: MediaItem
    files: list[PlannedFile]
    path_key: str  # the file's key, or for a sequence its %04d pattern key
    metadata: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    status: VersionStatus = VersionStatus.READY
    reason: str | None = None
    checksum: str | None = None

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)


@dataclass
class IngestPlan:
    project: str
    show: str
    bucket: str
    files: list[PlannedFile]
    versions: list[PlannedVersion]

    @property
    def warnings(self) -> list[str]:
        return [warning for version in self.versions for warning in version.warnings]


def build_plan(
    scanned: Sequence[ScannedFile],
    *,
    project: str,
    show: str,
    bucket: str,
    rules: NamingRules,
    layout: Layout,
    manifest: Manifest | None = None,
) -> IngestPlan:
    rows: dict[str, PlannedFile] = {}
    problems: dict[str, str] = {}
    named: list[tuple[str, ParsedName]] = []
    manifest_problems = _manifest_problems(manifest)
    for item in sorted(scanned, key=lambda s: s.path):
        row = PlannedFile(item.path, item.size, FileStatus.READY)
        rows[item.path] = row
        basename = posixpath.basename(item.path)
        if basename.lower() in SYSTEM_FILES:
            row.status, row.reason = FileStatus.IGNORED, "system file, not part of the delivery"
            continue
        try:
            row.name = parse_name(basename, rules)
            row.version_code = row.name.code
            named.append((item.path, row.name))
        except ValidationError as exc:
            problems[item.path] = exc.message
        if item.problem:
            problems[item.path] = item.problem
        elif manifest is not None and item.path not in problems:
            if reason := _manifest_reason(item.path, row.name, manifest, manifest_problems):
                problems[item.path] = reason
            elif entry := manifest.entries.get(item.path):
                row.expected_checksum = entry.checksum

    items, grouping_problems = group_media(named)
    for path, reason in grouping_problems.items():
        problems.setdefault(path, reason)

    versions: list[PlannedVersion] = []
    for media in items:
        bad = [path for path in media.paths if path in problems]
        if bad:
            held = f"held back: {bad[0]} is invalid ({problems[bad[0]]})"
            for path in media.paths:
                problems.setdefault(path, held)
            continue
        try:
            version = _plan_version(media, rows, project, layout, manifest)
        except ValidationError as exc:
            for path in media.paths:
                problems.setdefault(path, exc.message)
            continue
        versions.append(version)

    versions = _drop_key_collisions(versions, problems)
    for path, reason in problems.items():
        rows[path].status, rows[path].reason = FileStatus.INVALID, reason
    if manifest is not None:
        _add_manifest_only_rows(manifest, manifest_problems, rows)
    files = sorted(rows.values(), key=lambda r: r.path)
    return IngestPlan(project, show, bucket, files, versions)


def _manifest_problems(manifest: Manifest | None) -> dict[str, str]:
    by_path: dict[str, str] = {}
    for problem in manifest.problems if manifest else []:
        if problem.delivery_path:
            by_path.setdefault(problem.delivery_path, f"manifest {problem.where}: {problem.reason}")
    return by_path


def _manifest_reason(
    path: str, name: ParsedName | None, manifest: Manifest, problems: dict[str, str]
) -> str | None:
    if path in problems:
        return problems[path]
    entry = manifest.entries.get(path)
    if entry is None:
        return f"not listed in the manifest {manifest.name}"
    if name is None:
        return None
    return _disagreement(entry, name)


def _disagreement(entry: ManifestEntry, name: ParsedName) -> str | None:
    for key in NAME_FIELDS:
        stated, named = getattr(entry, key), getattr(name, key)
        if stated != named:  # codes are case-sensitive (docs/decisions.md)
            return f"manifest {entry.where} says {key} {stated!r} but the name says {named!r}"
    if entry.version != name.version:
        return (
            f"manifest {entry.where} says version {entry.version} but the name says {name.version}"
        )
    return None


def _plan_version(
    media: MediaItem,
    rows: dict[str, PlannedFile],
    project: str,
    layout: Layout,
    manifest: Manifest | None,
) -> PlannedVersion:
    name = media.name
    fields = {
        "project": project,
        "show": name.show,
        "episode": name.episode,
        "scene": name.scene,
        "shot": name.shot,
        "asset": name.asset,
        "version": name.version,
        "code": media.code,
        "ext": name.ext,
    }
    files = [rows[path] for path in media.paths]
    for row in files:
        row.key = layout.key(**fields, filename=posixpath.basename(row.path))
    folder = posixpath.dirname(media.paths[0])
    metadata: dict[str, Any] = {"delivery_path": posixpath.join(folder, media.display_name)}
    warnings: list[str] = []
    if media.is_sequence:
        metadata["frame_count"] = len(media.frames)
        if missing := media.missing_frames:
            metadata["missing_frames"] = missing
            warnings.append(f"{media.code}: frames {missing} missing from {media.frame_range}")
    if manifest is not None and (entry := manifest.entries.get(media.paths[0])):
        metadata["manifest"] = manifest.name
        if entry.source_path and not media.is_sequence:  # a frame's path is not the Version's
            metadata["source_path"] = entry.source_path
        metadata.update(entry.extra)
    return PlannedVersion(
        code=media.code,
        media=media,
        files=files,
        path_key=layout.key(**fields, filename=media.filename),
        metadata=metadata,
        warnings=warnings,
    )


def _drop_key_collisions(
    versions: list[PlannedVersion], problems: dict[str, str]
) -> list[PlannedVersion]:
    """Two files must never share a destination key (a layout without {version}, say)."""
    owners: dict[str, str] = {}
    clashing: set[str] = set()
    for version in versions:
        for row in version.files:
            assert row.key is not None
            if row.key in owners and owners[row.key] != row.path:
                clashing.update({row.path, owners[row.key]})
            owners.setdefault(row.key, row.path)
    if not clashing:
        return versions
    kept: list[PlannedVersion] = []
    for version in versions:
        hit = [row for row in version.files if row.path in clashing]
        if not hit:
            kept.append(version)
            continue
        reason = f"destination key {hit[0].key} is shared with another file (check the layout)"
        for row in version.files:
            problems.setdefault(row.path, reason)
    return kept


def _add_manifest_only_rows(
    manifest: Manifest, problems: dict[str, str], rows: dict[str, PlannedFile]
) -> None:
    """Entries and bad rows that match no delivered file still get a report row."""
    for path, entry in manifest.entries.items():
        if path not in rows:
            rows[path] = PlannedFile(
                path,
                0,
                FileStatus.INVALID,
                f"listed in the manifest ({entry.where}) but not delivered",
                expected_checksum=entry.checksum,
            )
    for problem in manifest.problems:
        path = problem.delivery_path or f"<manifest {problem.where}>"
        if path not in rows:
            rows[path] = PlannedFile(
                path, 0, FileStatus.INVALID, f"manifest {problem.where}: {problem.reason}"
            )


def version_checksum(algorithm: str, files: Sequence[PlannedFile]) -> str:
    """The Version's checksum: the file's own, or for a sequence a digest of its frames'.

    A sequence digest hashes one line ``<file name> <algo:hex>`` per frame in
    frame order, so it changes when any frame's data, name or count changes.
    """
    if len(files) == 1 and files[0].name is not None and not files[0].name.is_frame:
        assert files[0].checksum is not None
        return files[0].checksum
    hasher = new_hasher(algorithm)
    for row in files:
        hasher.update(f"{posixpath.basename(row.path)} {row.checksum}\n".encode())
    return format_checksum(algorithm, hasher.hexdigest())
