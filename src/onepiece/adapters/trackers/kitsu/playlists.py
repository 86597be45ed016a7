"""Playlists as Kitsu playlists; published files and playlist notes in project data.

A Kitsu playlist lists (entity, preview) pairs, so each OnePiece version in
it is shown with its own revision. Kitsu playlists have no description and
Kitsu has no published-file record for a preview, so both are kept under the
project's ``data["onepiece"]`` (one read, one write).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from onepiece.adapters.trackers.kitsu import versions
from onepiece.domain.entities import Playlist, PublishedFile
from onepiece.errors import EntityNotFound

if TYPE_CHECKING:
    from onepiece.adapters.trackers.kitsu.context import KitsuContext


def _rows(tracker: KitsuContext, project: str) -> list[dict[str, Any]]:
    project_id = tracker.project_id(project)
    found = tracker.session.get("list playlists", "data/playlists", {"project_id": project_id})
    return [dict(row) for row in found]


def _row(tracker: KitsuContext, project: str, code: str) -> dict[str, Any]:
    for row in _rows(tracker, project):
        if row["name"] == code:
            return row
    raise EntityNotFound(f"playlist {code} not found in {project}")


def _created_at(row: dict[str, Any]) -> datetime | None:
    raw = row.get("created_at")
    if not raw:
        return None
    stamp = datetime.fromisoformat(str(raw))
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)


def _playlist(
    tracker: KitsuContext, project: str, row: dict[str, Any], names: dict[str, str]
) -> Playlist:
    notes = tracker.project_extras(project).get("playlists", {})
    items = tuple(
        names[str(item.get("preview_file_id"))]
        for item in row.get("shots") or []
        if str(item.get("preview_file_id")) in names
    )
    return Playlist(
        project=project,
        code=str(row["name"]),
        description=notes.get(str(row["name"])),
        versions=items,
        created_at=_created_at(row),
    )


def _preview_names(tracker: KitsuContext, project: str) -> dict[str, str]:
    return {str(r["id"]): str(r["name"]) for r in versions.preview_rows(tracker, project)}


def create_playlist(
    tracker: KitsuContext, project: str, code: str, description: str | None
) -> tuple[Playlist, bool]:
    try:
        return get_playlist(tracker, project, code), False
    except EntityNotFound:
        pass
    row = tracker.session.post(
        f"create playlist {code}",
        "data/playlists",
        {"name": code, "project_id": tracker.project_id(project), "for_entity": "shot"},
    )
    if description:
        tracker.update_project_extras(
            project, lambda extras: extras.setdefault("playlists", {}).update({code: description})
        )
    return _playlist(tracker, project, dict(row), {}), True


def add_to_playlist(
    tracker: KitsuContext, project: str, code: str, items: Sequence[str]
) -> Playlist:
    row = _row(tracker, project, code)
    previews = versions.preview_rows(tracker, project)
    by_name = {str(r["name"]): r for r in previews}
    missing = [name for name in items if name not in by_name]
    if missing:
        raise EntityNotFound(
            f"version(s) not found in {project}: " + ", ".join(sorted(set(missing)))
        )
    entries = list(row.get("shots") or [])
    present = {str(entry.get("preview_file_id")) for entry in entries}
    for name in dict.fromkeys(items):
        preview = by_name[name]
        if str(preview["id"]) in present:
            continue
        present.add(str(preview["id"]))
        entity_id = tracker.task_entity(str(preview["task_id"]))
        entries.append({"entity_id": entity_id, "preview_file_id": str(preview["id"])})
    updated = tracker.session.put(
        f"fill playlist {code}", f"data/playlists/{row['id']}", {"shots": entries}
    )
    names = {str(r["id"]): str(r["name"]) for r in previews}
    return _playlist(tracker, project, {**row, **dict(updated)}, names)


def get_playlist(tracker: KitsuContext, project: str, code: str) -> Playlist:
    row = _row(tracker, project, code)
    names = _preview_names(tracker, project) if row.get("shots") else {}
    return _playlist(tracker, project, row, names)


def list_playlists(tracker: KitsuContext, project: str) -> list[Playlist]:
    rows = _rows(tracker, project)
    names = _preview_names(tracker, project) if any(r.get("shots") for r in rows) else {}
    return sorted((_playlist(tracker, project, r, names) for r in rows), key=lambda p: p.code)


def create_published_files(
    tracker: KitsuContext, files: Sequence[PublishedFile]
) -> list[PublishedFile]:
    for project in {f.project for f in files}:
        records = [
            {
                "code": f.code,
                "path": f.path,
                "version": f.version,
                "file_type": f.file_type,
                "checksum": f.checksum,
                "size": f.size,
            }
            for f in files
            if f.project == project
        ]

        def add(extras: dict[str, Any], new: list[dict[str, Any]] = records) -> None:
            extras.setdefault("published_files", []).extend(new)

        tracker.update_project_extras(project, add)
    return list(files)


def list_published_files(
    tracker: KitsuContext, project: str, version: str | None
) -> list[PublishedFile]:
    records = tracker.project_extras(project).get("published_files", [])
    return [
        PublishedFile(project=project, **record)
        for record in records
        if version is None or record.get("version") == version
    ]
