"""OnePiece Versions as Kitsu preview revisions on tasks.

A Version goes on the task of its shot (``kitsu.shot_task_type``), of its
asset (``kitsu.asset_task_type``) or of the project's ``onepiece`` edit. Each
one is a comment carrying the Kitsu task status and a preview revision named
by the version code (3 requests). Listing reads the project's tasks once and
their previews in chunks of ``LIST_CHUNK`` task ids.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from onepiece.adapters.trackers.kitsu import fields
from onepiece.domain.entities import ShotSpec, Version
from onepiece.domain.status import BUCKETS, bucket_for
from onepiece.errors import EntityNotFound, TrackerError, ValidationError, VersionConflict

if TYPE_CHECKING:
    from onepiece.adapters.trackers.kitsu.context import KitsuContext

log = logging.getLogger("onepiece.kitsu")
LIST_CHUNK = 50


def preview_rows(tracker: KitsuContext, project: str) -> list[dict[str, Any]]:
    """Every preview revision of the project (tasks once, previews in chunks)."""
    session = tracker.session
    project_id = tracker.project_id(project)
    tasks = session.get("list tasks", "data/tasks", {"project_id": project_id})
    task_ids = [str(task["id"]) for task in tasks]
    found: list[dict[str, Any]] = []
    for start in range(0, len(task_ids), LIST_CHUNK):
        chunk = task_ids[start : start + LIST_CHUNK]
        found.extend(
            session.get("list versions", "data/preview-files", {"task_id": json.dumps(chunk)})
        )
    return found


def by_code(tracker: KitsuContext, project: str) -> dict[str, dict[str, Any]]:
    return {str(row.get("name")): row for row in preview_rows(tracker, project)}


def _newest_first(items: list[Version]) -> list[Version]:
    return sorted(items, key=lambda v: (v.created_at is not None, v.created_at), reverse=True)


def list_versions(
    tracker: KitsuContext,
    project: str,
    *,
    status: str | None = None,
    episodes: Sequence[str] | None = None,
    limit: int | None = None,
) -> list[Version]:
    items = [fields.version_from(project, row) for row in preview_rows(tracker, project)]
    if status is not None:
        if status in BUCKETS:
            items = [v for v in items if bucket_for(v.status, tracker.status_map) == status]
        else:
            items = [v for v in items if (v.status or "").lower() == status.lower()]
    if episodes is not None:
        wanted = set(episodes)
        items = [v for v in items if v.episode in wanted]
    items = _newest_first(items)
    return items[:limit] if limit else items


def find_version(tracker: KitsuContext, project: str, code: str) -> Version | None:
    """One version by code: a name lookup, then its task's project."""
    project_id = tracker.project_id(project)
    for row in tracker.session.get("find version", "data/preview-files", {"name": code}):
        # zou filters names with ILIKE (any case, "_" a wildcard): compare exactly.
        if row.get("name") == code and tracker.task_project(str(row["task_id"])) == project_id:
            return fields.version_from(project, row)
    return None


def _task_for(tracker: KitsuContext, project: str, version: Version) -> str:
    if version.shot:
        return tracker.task_on(project, "Shot", version.shot, tracker.shot_task_type)
    if version.asset:
        return tracker.task_on(project, "Asset", version.asset, tracker.asset_task_type)
    return tracker.task_on(project, "Edit", fields.UNLINKED_EDIT, "Edit")


def _missing_hierarchy(tracker: KitsuContext, items: Sequence[Version]) -> None:
    if not tracker.create_missing_hierarchy:
        return
    for project in sorted({v.project for v in items}):
        specs = [
            ShotSpec(v.episode, v.sequence, v.shot or "", asset=None if v.shot else v.asset)
            for v in items
            if v.project == project and (v.shot or v.asset)
        ]
        if specs:
            tracker.ensure_hierarchy(project, specs)


def publish(tracker: KitsuContext, task_id: str, version: Version) -> str:
    """Comment (with the Kitsu status) + preview revision + its fields; returns the id."""
    session = tracker.session
    status = fields.kitsu_status(version.status, tracker.task_statuses(), tracker.status_map)
    comment = session.post(
        f"comment on {version.code}",
        f"actions/tasks/{task_id}/comment",
        {
            "task_status_id": tracker.task_statuses()[status],
            "comment": version.description or f"OnePiece version {version.code}",
        },
    )
    preview = session.post(
        f"create version {version.code}",
        f"actions/tasks/{task_id}/comments/{comment['id']}/add-preview",
        {},
    )
    try:
        session.put(
            f"record version {version.code}",
            f"data/preview-files/{preview['id']}",
            fields.version_record(version),
        )
    except TrackerError:
        remove(tracker, [str(preview["id"])])
        raise
    media = fields.review_media(version.path)
    if media is not None:
        upload_media(tracker, str(preview["id"]), version.code, media)
    return str(preview["id"])


def upload_media(tracker: KitsuContext, preview_id: str, code: str, media: Path) -> None:
    """The movie or image as the preview Kitsu plays (zou encodes it in the background).

    After the fields are recorded: zou merges what it probes into ``data``.
    A failed upload leaves the version registered, without a playable preview.
    """
    import gazu.task  # noqa: TID251

    try:
        tracker.session.call(
            f"upload the review media of {code}",
            gazu.task.upload_preview_file,
            preview_id,
            str(media),
            idempotent=False,
        )
    except TrackerError as exc:
        log.warning("Kitsu: version %s registered without its review media: %s", code, exc)


def remove(tracker: KitsuContext, preview_ids: Sequence[str]) -> None:
    for preview_id in preview_ids:
        try:
            tracker.session.delete("remove a version", f"data/preview-files/{preview_id}")
        except TrackerError as exc:
            log.error("Kitsu: could not remove preview %s: %s", preview_id, exc.message)


def create_versions(tracker: KitsuContext, items: Sequence[Version]) -> list[Version]:
    """All or nothing: conflicts are checked first, a failure removes what was made."""
    for project in {v.project for v in items}:
        tracker.project_id(project)  # EntityNotFound before anything is written
        existing = by_code(tracker, project)
        clashes = [v.code for v in items if v.project == project and v.code in existing]
        if clashes:
            raise VersionConflict(
                f"version(s) already exist in {project}: " + ", ".join(sorted(clashes)),
                hint="pick the next version number",
            )
    items = [_stamped(v) for v in items]  # what is stored is what is returned
    _missing_hierarchy(tracker, items)
    made: list[str] = []
    try:
        for version in items:
            made.append(publish(tracker, _task_for(tracker, version.project, version), version))
    except TrackerError:
        if made:
            log.warning("Kitsu: removing %d version(s) created before the failure", len(made))
            remove(tracker, made)
        raise
    return items


def _stamped(version: Version) -> Version:
    if version.created_at is not None:
        return version
    from dataclasses import replace
    from datetime import datetime

    return replace(version, created_at=datetime.fromisoformat(fields.timestamp(None)))


def update_versions(
    tracker: KitsuContext, project: str, updates: Mapping[str, Mapping[str, Any]]
) -> list[Version]:
    rows = by_code(tracker, project)
    missing = sorted(set(updates) - set(rows))
    if missing:
        raise EntityNotFound(f"version(s) not found in {project}: " + ", ".join(missing))
    planned: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for code, changes in updates.items():
        try:
            planned.append((rows[code], fields.version_changes(rows[code], changes)))
        except KeyError as exc:
            raise ValidationError(
                f"cannot update version field {exc.args[0]!r}",
                hint="updatable: " + ", ".join(sorted(fields.VERSION_UPDATE_FIELDS)),
            ) from exc
    for row, change in planned:
        tracker.session.put(
            f"update version {row['name']}", f"data/preview-files/{row['id']}", change
        )
        new_status = change["data"].get("status")
        if new_status != (row.get("data") or {}).get("status"):
            status = fields.kitsu_status(new_status, tracker.task_statuses(), tracker.status_map)
            tracker.session.post(
                f"set the status of {row['name']}",
                f"actions/tasks/{row['task_id']}/comment",
                {
                    "task_status_id": tracker.task_statuses()[status],
                    "comment": f"OnePiece: {row['name']} is now {new_status}",
                },
            )
    after = by_code(tracker, project)
    return [fields.version_from(project, after[code]) for code in updates]


def delete_versions(tracker: KitsuContext, project: str, codes: Sequence[str]) -> int:
    rows = by_code(tracker, project)
    ids = [str(rows[code]["id"]) for code in dict.fromkeys(codes) if code in rows]
    for preview_id in ids:
        tracker.session.delete("delete a version", f"data/preview-files/{preview_id}")
    return len(ids)
