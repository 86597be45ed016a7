"""A MediaShuttle-ready folder of a playlist's Versions, with a manifest.

The folder is built under a temporary name beside its final place and
renamed when complete, so a half-built package never looks finished. Local
media is hard-linked when it shares the filesystem (copied otherwise); remote
media is downloaded straight into the package. Every file is verified
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

from onepiece.atomicio import fsync_dir, write_bytes
from onepiece.bootstrap import Container
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
from onepiece.domain.safe_paths import slug
from onepiece.errors import IntegrityError, NothingToDo, ObjectNotFound, ValidationError
from onepiece.services.delivery_mhl import history_files
from onepiece.services.file_copy import place_file
from onepiece.services.media_source import MediaSource
from onepiece.services.upstream import frame_checksums

RECIPIENTS = ("client", "vendor")


@dataclass(frozen=True)
class PackageRequest:
    project: str
    playlist: str
    destination: Path
    recipient: str = "client"
    overwrite: bool = False
    dry_run: bool = False


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


def _versions(services: Container, request: PackageRequest) -> tuple[list[Version], list[Problem]]:
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
    services: Container,
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
        if request.dry_run:
            for planned in plan.files:
                if media.exists(planned.source):
                    result.entries.append(_unverified(planned))
                else:
                    result.problems.append(
                        Problem(planned.version, "missing_media", "media not found", planned.source)
                    )
            return result
        destination.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{name}.", suffix=".partial", dir=destination))
        try:
            for planned in plan.files:
                if on_file is not None:
                    on_file(planned.name)
                entry = _place(planned, staging, media, settings.ingest.checksum, result)
                if entry is not None:
                    result.entries.append(entry)
                    if progress is not None:
                        progress(entry.size)
            if not result.entries:
                raise NothingToDo("nothing to package: no file passed verification")
            _finish(result, staging, name)
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
    )


def _place(
    planned: PlannedFile, staging: Path, media: MediaSource, default: str, result: PackageResult
) -> DeliveredFile | None:
    target = staging / planned.name
    try:
        expected = planned.expected_checksum
        if expected is None:
            with contextlib.suppress(ObjectNotFound):
                expected = media.recorded_checksum(planned.source)
        algorithm, digest = parse_checksum(expected) if expected else (default, "")
        location = media.native(planned.source)
        if location.path is not None:
            checksum, size, _how = place_file(
                Path(location.path), target, algorithm, len(digest) or None
            )
        else:
            assert location.bucket and location.key
            target.parent.mkdir(parents=True, exist_ok=True)
            info = media.storage.get_file(location.bucket, location.key, target)
            checksum, size = info.checksum or "", info.size
    except (ObjectNotFound, FileNotFoundError):
        result.problems.append(
            Problem(planned.version, "missing_media", "media not found", planned.source)
        )
        return None
    except IntegrityError as exc:
        result.problems.append(
            Problem(planned.version, "checksum_mismatch", exc.message, planned.source)
        )
        return None
    if expected and checksum != f"{algorithm}:{digest}":
        _discard(target, staging)
        result.problems.append(
            Problem(
                planned.version,
                "checksum_mismatch",
                f"checksum {checksum} does not match recorded {expected}",
                planned.source,
            )
        )
        return None
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
    )


def _discard(target: Path, staging: Path) -> None:
    """Remove a rejected file and the folders only it needed."""
    target.unlink(missing_ok=True)
    folder = target.parent
    while folder != staging and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent


def _finish(result: PackageResult, staging: Path, name: str) -> None:
    result.record["entry_count"] = len(result.entries)
    result.record["total_bytes"] = sum(e.size for e in result.entries)
    document = manifest_document(result.record, result.entries, result.problems)
    manifests = {
        "manifest.json": manifest_json(document),
        "manifest.csv": manifest_csv(result.entries),
    }
    # An ASC MHL history beside the manifests (docs/mhl.md).
    history, _ = history_files(name, result.entries, manifests)
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
