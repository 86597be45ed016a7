"""Reconciliation: tracker versus storage versus manifests.

``count_differences`` is the number the dashboard shows as ``status.errors``;
``reconcile`` gives the full list for ``onepiece validate reconcile``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from onepiece.adapters.storage.base import Storage
from onepiece.adapters.trackers.base import Tracker
from onepiece.config import Settings
from onepiece.domain.entities import Version
from onepiece.domain.media_paths import local_bucket_key, parse_storage_uri, with_name
from onepiece.domain.reconcile import (
    Difference,
    StoredObject,
    TrackedFile,
    compare_shots,
    compare_versions,
    summarise,
)
from onepiece.domain.sequences import expand_frames, frame_token
from onepiece.errors import ObjectNotFound, ValidationError
from onepiece.services.delivery.upstream import load_upstream
from onepiece.services.reconcile.storage import Progress, list_stored, rehash
from onepiece.state.db.ports import ReconcileStore

SCOPES = ("versions", "shots")


def _bucket_key(uri: str, settings: Settings) -> tuple[str, str] | None:
    location = parse_storage_uri(uri)
    if location.bucket and location.key:
        return location.bucket, location.key
    if location.path is not None:
        return local_bucket_key(location.path, str(settings.storage_root.absolute()))
    return None


def tracked_files(
    versions: Sequence[Version],
    checksums: dict[str, str],
    settings: Settings,
    sizes: Mapping[str, int] | None = None,
) -> tuple[list[TrackedFile], list[Difference]]:
    """Every file the tracker expects (frames expanded); unreadable paths are differences."""
    tracked: list[TrackedFile] = []
    problems: list[Difference] = []
    for version in versions:
        if not version.path:
            continue
        try:
            location = parse_storage_uri(version.path)
            name = location.name
            if frame_token(name) is None:
                files = [(version.path, version.checksum, version.size)]
            else:
                frames = expand_frames(
                    name, version.frame_range, version.frame_first, version.frame_last
                )
                uris = [with_name(version.path, file_name) for _frame, file_name in frames]
                files = [(uri, checksums.get(uri), (sizes or {}).get(uri)) for uri in uris]
        except ValidationError as exc:
            problems.append(
                Difference("missing_from_storage", version.code, version.path, exc.message)
            )
            continue
        for uri, checksum, size in files:
            found = _bucket_key(uri, settings)
            if found is None:
                problems.append(
                    Difference("missing_from_storage", version.code, uri, "outside the storage")
                )
                continue
            tracked.append(TrackedFile(version.code, found[0], found[1], checksum, size))
    return tracked, problems


def _stored(
    storage: Storage, tracked: Sequence[TrackedFile], settings: Settings, project: str
) -> list[StoredObject]:
    """Objects under the show folders the project uses, in its media buckets."""
    prefixes: dict[str, set[str]] = {}
    for item in tracked:
        prefixes.setdefault(item.bucket, set()).add(item.key.split("/", 1)[0] + "/")
    if not tracked:
        show = (settings.show_code or project) + "/"
        for bucket in (settings.ingest.vendor_bucket, settings.ingest.client_bucket):
            prefixes[bucket] = {show}
    tracked_keys = {(t.bucket, t.key) for t in tracked}
    objects: list[StoredObject] = []
    for bucket, bucket_prefixes in sorted(prefixes.items()):
        for prefix in sorted(bucket_prefixes):
            try:
                objects += list_stored(storage, bucket, prefix, tracked_keys)
            except ObjectNotFound:  # the bucket does not exist: nothing stored there
                continue
    return objects


def reconcile(
    tracker: Tracker,
    storage: Storage,
    settings: Settings,
    project: str,
    *,
    scope: str = "versions",
    manifests: Sequence[Path] = (),
    verify: bool = False,
    progress: Progress | None = None,
    on_file: Callable[[str], None] | None = None,
) -> list[Difference]:
    """Differences between tracker, storage and manifests.

    Sizes are always compared; ``verify`` also re-hashes every tracked stored
    file (``progress`` gets the bytes read) to catch same-size replacements.
    """
    if scope not in SCOPES:
        raise ValidationError(f"unknown scope {scope!r}", hint="versions or shots")
    tracker.get_project(project)
    versions = tracker.list_versions(project)
    published = tracker.list_published_files(project)
    checksums = {p.path: p.checksum for p in published if p.checksum}
    sizes = {p.path: p.size for p in published if p.size is not None}
    tracked, problems = tracked_files(versions, checksums, settings, sizes)
    stored = _stored(storage, tracked, settings, project)
    if verify and scope == "versions":
        stored = rehash(storage, tracked, stored, progress=progress, on_file=on_file)
    if scope == "shots":
        shots = [shot.code for shot in tracker.list_shots(project)]
        version_shots = {v.code: v.shot for v in versions}
        return compare_shots(shots, tracked, version_shots, stored, settings.ingest.layout)
    manifest: dict[str, str] = {}
    for path in manifests:
        for name, entry in load_upstream(path).items():
            if entry.checksum:
                manifest[name] = entry.checksum
    return problems + compare_versions(tracked, stored, manifest)


def count_differences(
    tracker: Tracker,
    storage: Storage,
    settings: Settings,
    project: str,
    *,
    results: ReconcileStore | None = None,
) -> int:
    """How many ways tracker and storage disagree for a project.

    With ``results`` the count is kept as the project's latest reconciliation,
    which the dashboard reports as ``status.errors``.
    """
    differences = reconcile(tracker, storage, settings, project)
    if results is not None:
        record_result(results, project, "versions", differences)
    return len(differences)


def record_result(
    results: ReconcileStore, project: str, scope: str, differences: Sequence[Difference]
) -> None:
    results.record(project, scope, summarise(differences))
