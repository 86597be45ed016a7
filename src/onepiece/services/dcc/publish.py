"""``dcc publish``: validate a DCC's outputs, package them, upload, register.

The package (``DESTINATION/<scene name>/``) holds renders (as frame
sequences), previews, the OTIO timeline, the metadata and a package manifest
with a checksum per file. It is built under a temporary name and renamed when
complete; every file is hashed in the same read that copies it, and the
upload is verified against that checksum.
"""

from __future__ import annotations

import posixpath
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from onepiece.atomicio import check_writable_folder, fsync_dir, write_bytes, write_json
from onepiece.domain.dcc import SceneName, check_dcc, check_show_type, parse_scene_name
from onepiece.domain.entities import PublishedFile, ShotSpec, Version
from onepiece.domain.mhl import HISTORY_FOLDER
from onepiece.domain.mhl_custody import FOLDER_KEY, HISTORY_KEY
from onepiece.domain.safe_paths import check_name
from onepiece.domain.structured_text import loads_json
from onepiece.errors import IntegrityError, ValidationError
from onepiece.services.dcc.inputs import PackageFile, collect_inputs
from onepiece.services.dcc.renders_mhl import RendersHistory, renders_history
from onepiece.services.delivery.file_copy import copy_with_hashes
from onepiece.services.delivery.mhl import history_for
from onepiece.services.input_files import read_text
from onepiece.services.ports import Backends


@dataclass(frozen=True)
class PublishRequest:
    dcc: str
    scene_name: str
    renders: Path
    previews: Path
    otio: Path
    metadata: Path
    destination: Path
    bucket: str
    show_code: str
    show_type: str
    project: str | None = None
    dry_run: bool = False


@dataclass
class PublishResult:
    package: Path
    version: str
    files: list[dict[str, Any]] = field(default_factory=list)
    frame_range: str | None = None
    uploaded: list[str] = field(default_factory=list)
    dry_run: bool = False
    project: str | None = None  # where the Version is registered, and its storage
    bucket: str | None = None
    key_prefix: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "package": str(self.package),
            "version": self.version,
            "frame_range": self.frame_range,
            "files": self.files,
            "uploaded": self.uploaded,
            "dry_run": self.dry_run,
        }


def _load_metadata(path: Path) -> dict[str, Any]:
    data = loads_json(read_text(path, "metadata file"), f"metadata {path}")
    if not isinstance(data, dict):
        raise ValidationError(f"metadata {path} must be a JSON object")
    return data


def publish(
    services: Backends,
    request: PublishRequest,
    *,
    on_file: Callable[[str], None] | None = None,
) -> PublishResult:
    dcc = check_dcc(request.dcc)
    scene = parse_scene_name(request.scene_name)
    show_type = check_show_type(request.show_type)
    show = check_name(request.show_code, "show code")
    bucket = services.storage.check_bucket(request.bucket)
    metadata = _load_metadata(request.metadata)
    inputs = collect_inputs(request.renders, request.previews, request.otio, request.metadata)
    # The renders' own ASC MHL history, its chain checked before anything is written.
    vendor = renders_history(request.renders.expanduser())
    project = check_name(request.project or services.settings.project or show, "project")
    package = request.destination.expanduser().resolve() / scene.name
    if package.exists():
        raise ValidationError(
            f"package {package} already exists", hint="publish a new version (v###) instead"
        )
    check_writable_folder(package.parent)  # before the bucket or the tracker is touched
    if services.tracker.find_version(project, scene.name) is not None:
        raise ValidationError(f"version {scene.name} is already registered in {project}")
    result = PublishResult(
        package, scene.name, frame_range=inputs.frame_range, dry_run=request.dry_run
    )
    key_prefix = f"{show}/{scene.sequence}/{scene.shot}/{scene.task}/v{scene.version:03d}"
    result.project, result.bucket, result.key_prefix = project, bucket, key_prefix
    if request.dry_run:
        result.files = [{"path": f.relative, "size": f.source.stat().st_size} for f in inputs.files]
        return result
    # Before the package is built: a package left behind by a failed upload would
    # block publishing this version again.
    services.storage.ensure_bucket(bucket)
    staged = _build(
        request.destination.expanduser().resolve(), scene, inputs.files, result, on_file, vendor
    )
    manifest = {
        "scene": scene.name,
        "dcc": dcc,
        "show_code": show,
        "show_type": show_type,
        "project": project,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "frame_range": inputs.frame_range,
        "metadata": metadata,
        "files": result.files,
    }
    try:
        write_json(staged / "manifest.json", manifest)
        manifest_bytes = {"manifest.json": (staged / "manifest.json").read_bytes()}
        rows = [
            (f["path"], f["checksum"], f["size"], vendor.custody(f["path"]) if vendor else None)
            for f in result.files
        ]
        # An ASC MHL history of the package (docs/mhl.md), uploaded beside it; it
        # continues the renders' own history when they came with one.
        kept = {vendor.kept.ref: vendor.kept} if vendor else {}
        history, _ = history_for(scene.name, rows, manifest_bytes, kept)
        for path, data in history.items():
            write_bytes(staged / path, data)
        staged.rename(package)
        fsync_dir(package.parent)
    finally:
        shutil.rmtree(staged.parent, ignore_errors=True)
    for path in history:  # the tracker registers the media, the history rides along
        services.storage.put_file(bucket, f"{key_prefix}/{path}", package / path)
    _upload_and_register(
        services, request.bucket, key_prefix, project, scene, inputs, metadata, result
    )
    return result


def _build(
    destination: Path,
    scene: SceneName,
    files: list[PackageFile],
    result: PublishResult,
    on_file: Callable[[str], None] | None,
    vendor: RendersHistory | None,
) -> Path:
    destination.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{scene.name}.", suffix=".partial", dir=destination))
    staged = staging / scene.name
    try:
        for item in files:
            if on_file is not None:
                on_file(item.relative)
            wanted = vendor.expected(item.relative) if vendor else None
            algorithms: list[tuple[str, int | None]] = [("xxh3", None)]
            if wanted is not None:  # the renders' MHL hash, checked in the same read
                algorithms.append((wanted[0], len(wanted[1])))
            checksums, size = copy_with_hashes(item.source, staged / item.relative, algorithms)
            checksum = checksums[0]
            if wanted is not None and checksums[1] != f"{wanted[0]}:{wanted[1]}":
                raise IntegrityError(
                    f"render {item.source} does not match the renders' MHL: "
                    f"expected {wanted[0]}:{wanted[1]}, got {checksums[1]}",
                    hint="the file changed after its hash list was written",
                )
            result.files.append(
                {
                    "path": item.relative,
                    "kind": item.kind,
                    "size": size,
                    "checksum": checksum,
                    "frame": item.frame,
                }
            )
    except BaseException:  # cleanup only: re-raised
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return staged


def _upload_and_register(
    services: Backends,
    bucket: str,
    key_prefix: str,
    project: str,
    scene: SceneName,
    inputs: Any,
    metadata: dict[str, Any],
    result: PublishResult,
) -> None:
    storage, tracker = services.storage, services.tracker
    storage.ensure_bucket(bucket)
    published: list[PublishedFile] = []
    uris: dict[str, str] = {}
    for item in [*result.files, {"path": "manifest.json", "kind": "manifest", "checksum": None}]:
        key = f"{key_prefix}/{item['path']}"
        info = storage.put_file(
            bucket, key, result.package / item["path"], expected_checksum=item["checksum"]
        )
        uri = storage.uri(bucket, key)
        uris[item["path"]] = uri
        result.uploaded.append(uri)
        published.append(
            PublishedFile(
                project,
                f"{scene.name}/{item['path']}",
                uri,
                scene.name,
                item["kind"],
                info.checksum,
                info.size,
            )
        )
    tracker.ensure_project(project)
    if services.settings.tracker.create_missing_hierarchy:
        tracker.ensure_hierarchy(project, [ShotSpec(None, scene.sequence, scene.shot)])
    preview = next(f for f in result.files if f["kind"] == "preview")
    version = Version(
        project=project,
        code=scene.name,
        shot=scene.shot,
        sequence=scene.sequence,
        status=str(metadata.get("status") or "rev"),
        path=uris[preview["path"]],
        frame_first=inputs.frame_first,
        frame_last=inputs.frame_last,
        frame_range=inputs.frame_range,
        checksum=preview["checksum"],
        size=preview["size"],
        user=str(metadata["user"]) if metadata.get("user") else None,
        description=str(metadata["description"]) if metadata.get("description") else None,
        metadata={
            "package": str(result.package),
            "bucket": bucket,
            "key_prefix": key_prefix,
            # The package's history, uploaded beside it: a delivery of this Version continues it.
            HISTORY_KEY: f"{bucket}/{key_prefix}/{HISTORY_FOLDER}",
            FOLDER_KEY: posixpath.dirname(preview["path"]),
        },
    )
    tracker.create_versions([version])
    tracker.create_published_files(published)
