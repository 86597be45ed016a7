"""A MediaShuttle-ready folder of a playlist's Versions, with a manifest.

The folder is built under a temporary name beside its final place and
renamed when complete, so a half-built package never looks finished. Local
media is reflinked where the filesystem can (copied otherwise), hard-linked
only with ``link`` and a read-only master; remote media is downloaded
straight into the package. Every file is verified
against its recorded checksum; failures are reported and left out.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from onepiece.atomicio import check_writable_folder, fsync_dir, write_bytes
from onepiece.domain.checksums import parse_checksum
from onepiece.domain.delivery import (
    DeliveredFile,
    PlannedFile,
    Problem,
    manifest_csv,
    manifest_document,
    manifest_json,
    plan_delivery,
)
from onepiece.domain.entities import Version
from onepiece.domain.safe_paths import check_name, slug
from onepiece.errors import IntegrityError, NothingToDo, ObjectNotFound, ValidationError
from onepiece.services.delivery.file_copy import place_file
from onepiece.services.delivery.media_source import MediaSource
from onepiece.services.delivery.mhl import history_files, vendor_histories
from onepiece.services.delivery.upstream import frame_checksums
from onepiece.services.delivery.versions import by_version, left_out, missing_media
from onepiece.services.mhl import custody
from onepiece.services.mhl.custody import KeptHistory
from onepiece.services.ports import Backends

RECIPIENTS = ("client", "vendor")


@dataclass(frozen=True)
class PackageRequest:
    project: str
    playlist: str
    destination: Path
    recipient: str = "client"
    overwrite: bool = False
    dry_run: bool = False
    link: bool = False  # hard-link read-only masters instead of reflinking/copying

    def __post_init__(self) -> None:
        check_name(self.project, "project")
        check_name(self.playlist, "playlist")


@dataclass
class PackageResult:
    folder: Path
    record: dict[str, Any]
    entries: list[DeliveredFile] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    manifest: Path | None = None
    dry_run: bool = False

    def to_dict(self) -> dict[str, Any]:
        document = manifest_document(self.record, self.entries, self.problems)
        return {
            **document,
            "folder": str(self.folder),
            "manifest": str(self.manifest) if self.manifest else None,
            "dry_run": self.dry_run,
        }


@dataclass(frozen=True)
class _Placing:
    default_algorithm: str  # for media with no recorded checksum
    link: bool  # hard-link read-only masters


def _versions(services: Backends, request: PackageRequest) -> tuple[list[Version], list[Problem]]:
    playlist = services.tracker.get_playlist(request.project, request.playlist)
    versions: list[Version] = []
    problems: list[Problem] = []
    for code in playlist.versions:
        found = services.tracker.find_version(request.project, code)
        if found is None:
            problems.append(Problem(code, "no_media", "version is in the playlist but not found"))
        else:
            versions.append(found)
    if not versions:
        raise NothingToDo(f"nothing to package: playlist {request.playlist} has no versions")
    return versions, problems


def package_playlist(
    services: Backends,
    request: PackageRequest,
    *,
    progress: Callable[[int], None] | None = None,
    on_file: Callable[[str], None] | None = None,
) -> PackageResult:
    if request.recipient not in RECIPIENTS:
        raise ValidationError(f"unknown recipient {request.recipient!r}", hint="client or vendor")
    versions, problems = _versions(services, request)
    name = slug(f"{request.project}_{request.playlist}_{request.recipient}")
    destination = request.destination.expanduser().resolve()
    folder = destination / name
    settings = services.settings
    root = settings.storage_root if settings.storage.backend == "local" else None
    if root is not None and (
        destination == root.resolve() or root.resolve() in destination.parents
    ):
        raise ValidationError(
            f"destination {destination} is inside the storage root {root}",
            hint="package outside the storage folders",
        )
    if folder.exists() and not request.overwrite:
        raise ValidationError(f"{folder} already exists", hint="pass --overwrite to replace it")
    check_writable_folder(destination)  # before any file is copied
    plan = plan_delivery(
        versions, name, frame_checksums=frame_checksums(services.tracker, request.project)
    )
    record = {
        "project": request.project,
        "playlist": request.playlist,
        "recipient": request.recipient,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "package": name,
    }
    result = PackageResult(
        folder, record, problems=problems + plan.problems, dry_run=request.dry_run
    )
    media = MediaSource(services.storage, root=root)
    try:
        # The vendors' histories, chains checked before any media is read.
        kept = custody.load_all(services.storage, vendor_histories(plan.files))
        if request.dry_run:
            for _version, files in by_version(plan.files):
                missing = missing_media(files, media)
                result.problems.extend(missing)
                if not missing:
                    result.entries.extend(_unverified(planned) for planned in files)
            return result
        destination.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{name}.", suffix=".partial", dir=destination))
        try:
            for _version, files in by_version(plan.files):
                entries = _place_version(
                    files,
                    staging,
                    media,
                    _Placing(settings.ingest.checksum, request.link),
                    result,
                    on_file,
                )
                result.entries.extend(entries)
                if progress is not None:
                    progress(sum(entry.size for entry in entries))
            if not result.entries:
                raise NothingToDo("nothing to package: no file passed verification")
            _finish(result, staging, name, kept)
            _swap(staging / name, folder)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    finally:
        media.close()
    result.manifest = folder / "manifest.json"
    return result


def _unverified(planned: PlannedFile) -> DeliveredFile:
    return DeliveredFile(
        planned.name,
        planned.version,
        planned.expected_size or 0,
        planned.expected_checksum or "",
        planned.source,
        planned.episode,
        planned.sequence,
        planned.shot,
        planned.frame,
        planned.custody,
    )


def _place_version(
    files: list[PlannedFile],
    staging: Path,
    media: MediaSource,
    placing: _Placing,
    result: PackageResult,
    on_file: Callable[[str], None] | None,
) -> list[DeliveredFile]:
    """Every file of one Version, or none (its problems are added to ``result``)."""
    missing = missing_media(files, media)
    if missing:
        result.problems.extend(missing)
        return []
    placed: list[DeliveredFile] = []
    for planned in files:
        if on_file is not None:
            on_file(planned.name)
        entry = _place(planned, files, staging, media, placing)
        if isinstance(entry, Problem):
            result.problems.append(entry)
            for name in [*(done.name for done in placed), planned.name]:
                _discard(staging / name, staging)
            return []
        placed.append(entry)
    return placed


def _place(
    planned: PlannedFile,
    version_files: list[PlannedFile],
    staging: Path,
    media: MediaSource,
    placing: _Placing,
) -> DeliveredFile | Problem:
    target = staging / planned.name

    def problem(kind: Any, reason: str) -> Problem:
        return Problem(planned.version, kind, left_out(reason, version_files), planned.source)

    try:
        expected = planned.expected_checksum
        if expected is None:
            with contextlib.suppress(ObjectNotFound):
                expected = media.recorded_checksum(planned.source)
        algorithm, digest = (
            parse_checksum(expected) if expected else (placing.default_algorithm, "")
        )
        location = media.native(planned.source)
        if location.path is not None:
            checksum, size, _how = place_file(
                Path(location.path), target, algorithm, len(digest) or None, link=placing.link
            )
        else:
            assert location.bucket and location.key
            target.parent.mkdir(parents=True, exist_ok=True)
            info = media.storage.get_file(location.bucket, location.key, target)
            checksum, size = info.checksum or "", info.size
    except (ObjectNotFound, FileNotFoundError):
        return problem("missing_media", "media not found")
    except IntegrityError as exc:
        return problem("checksum_mismatch", exc.message)
    if expected and checksum != f"{algorithm}:{digest}":
        return problem(
            "checksum_mismatch", f"checksum {checksum} does not match recorded {expected}"
        )
    return DeliveredFile(
        planned.name,
        planned.version,
        size,
        checksum,
        planned.source,
        planned.episode,
        planned.sequence,
        planned.shot,
        planned.frame,
        planned.custody,
    )


def _discard(target: Path, staging: Path) -> None:
    """Remove a rejected file and the folders only it needed."""
    target.unlink(missing_ok=True)
    folder = target.parent
    while folder != staging and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent


def _finish(result: PackageResult, staging: Path, name: str, kept: dict[str, KeptHistory]) -> None:
    result.record["versions"] = sorted({e.version for e in result.entries})
    result.record["entry_count"] = len(result.entries)
    result.record["total_bytes"] = sum(e.size for e in result.entries)
    document = manifest_document(result.record, result.entries, result.problems)
    manifests = {
        "manifest.json": manifest_json(document),
        "manifest.csv": manifest_csv(result.entries),
    }
    # An ASC MHL history beside the manifests, continuing the vendor's (docs/mhl.md).
    history, _ = history_files(name, result.entries, manifests, kept)
    for path, data in {**manifests, **history}.items():
        write_bytes(staging / name / path, data)


def _swap(built: Path, folder: Path) -> None:
    """Put the finished package in place; an old one (with --overwrite) goes only after."""
    old = None
    if folder.exists():
        old = folder.with_name(f".{folder.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        folder.rename(old)
    built.rename(folder)
    fsync_dir(folder.parent)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
