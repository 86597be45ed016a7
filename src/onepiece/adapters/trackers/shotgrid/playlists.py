"""Playlists and published files on ShotGrid.

A Playlist's versions are its ``versions`` multi-entity field, appended with
the ``add`` update mode so concurrent additions are not lost. Published files
link their Version and a PublishedFileType (created on first use, as
Toolkit does); their path is a url field.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from onepiece.adapters.trackers.shotgrid import fields as sgs
from onepiece.adapters.trackers.shotgrid import media_fields as fields
from onepiece.domain.entities import Playlist, PublishedFile
from onepiece.errors import EntityNotFound

if TYPE_CHECKING:
    from onepiece.adapters.trackers.shotgrid.tracker import ShotGridTracker


def _pfilter(project_id: int) -> list[Any]:
    return ["project", "is", sgs.link(sgs.PROJECT, project_id)]


def _version_codes(tracker: ShotGridTracker, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = tracker.session.find(sgs.VERSION, [["id", "in", sorted(ids)]], ["code"])
    return {int(row["id"]): str(row["code"]) for row in rows}


def _version_ids(tracker: ShotGridTracker, project_id: int, codes: Sequence[str]) -> dict[str, int]:
    if not codes:
        return {}
    rows = tracker.session.find(
        sgs.VERSION, [_pfilter(project_id), ["code", "in", list(codes)]], ["code"]
    )
    return {str(row["code"]): int(row["id"]) for row in rows}


def _to_playlists(
    tracker: ShotGridTracker, project: str, rows: list[dict[str, Any]]
) -> list[Playlist]:
    ids = {sgs.link_id(item) for row in rows for item in row.get("versions") or []}
    codes = _version_codes(tracker, {i for i in ids if i is not None})
    return [sgs.playlist_from(project, row, codes) for row in rows]


def _playlist_row(tracker: ShotGridTracker, project_id: int, code: str) -> dict[str, Any] | None:
    rows = tracker.session.find(
        sgs.PLAYLIST, [_pfilter(project_id), ["code", "is", code]], sgs.PLAYLIST_FIELDS
    )
    return rows[0] if rows else None


def get_playlist(tracker: ShotGridTracker, project: str, code: str) -> Playlist:
    row = _playlist_row(tracker, tracker.project_id(project), code)
    if row is None:
        raise EntityNotFound(f"playlist {code} not found in project {project}")
    return _to_playlists(tracker, project, [row])[0]


def list_playlists(tracker: ShotGridTracker, project: str) -> list[Playlist]:
    rows = tracker.session.find(
        sgs.PLAYLIST,
        [_pfilter(tracker.project_id(project))],
        sgs.PLAYLIST_FIELDS,
        order=[{"field_name": "code", "direction": "asc"}],
    )
    return _to_playlists(tracker, project, rows)


def create_playlist(
    tracker: ShotGridTracker, project: str, code: str, description: str | None = None
) -> tuple[Playlist, bool]:
    project_id = tracker.project_id(project)
    row = _playlist_row(tracker, project_id, code)
    if row is not None:
        return _to_playlists(tracker, project, [row])[0], False
    data = sgs.drop_none(
        {
            "project": sgs.link(sgs.PROJECT, project_id),
            "code": code,
            "description": description,
            "created_at": sgs.utc_now(),
        }
    )
    tracker.session.create_chunk(sgs.PLAYLIST, [_pfilter(project_id)], [data])
    return get_playlist(tracker, project, code), True


def add_to_playlist(
    tracker: ShotGridTracker, project: str, code: str, versions: Sequence[str]
) -> Playlist:
    project_id = tracker.project_id(project)
    row = _playlist_row(tracker, project_id, code)
    if row is None:
        raise EntityNotFound(f"playlist {code} not found in project {project}")
    ids = _version_ids(tracker, project_id, versions)
    missing = [v for v in versions if v not in ids]
    if missing:
        raise EntityNotFound(f"version(s) not found in {project}: " + ", ".join(missing))
    present = {sgs.link_id(item) for item in row.get("versions") or []}
    new = []
    for version in versions:
        if ids[version] not in present:
            present.add(ids[version])
            new.append(sgs.link(sgs.VERSION, ids[version]))
    if new:
        tracker.session.update(sgs.PLAYLIST, int(row["id"]), {"versions": new}, {"versions": "add"})
    return get_playlist(tracker, project, code)


def _file_types(tracker: ShotGridTracker, names: set[str]) -> dict[str, int]:
    """PublishedFileType code -> id, creating the missing types (Toolkit does the same)."""
    if not names:
        return {}
    rows = tracker.session.find(sgs.PUBLISHED_FILE_TYPE, [["code", "in", sorted(names)]], ["code"])
    found = {str(row["code"]): int(row["id"]) for row in rows}
    missing = [{"code": name} for name in sorted(names - set(found))]
    if missing:
        found.update(tracker.session.create_all(sgs.PUBLISHED_FILE_TYPE, [], missing))
    return found


def create_published_files(
    tracker: ShotGridTracker, files: Sequence[PublishedFile]
) -> list[PublishedFile]:
    by_project: dict[str, list[PublishedFile]] = {}
    for item in files:
        by_project.setdefault(item.project, []).append(item)
    types = _file_types(tracker, {f.file_type for f in files if f.file_type})
    for project, items in by_project.items():
        project_id = tracker.project_id(project)
        version_ids = _version_ids(
            tracker, project_id, sorted({f.version for f in items if f.version})
        )
        missing = sorted(
            {str(f.version) for f in items if f.version and f.version not in version_ids}
        )
        if missing:
            raise EntityNotFound(f"version(s) not found in {project}: " + ", ".join(missing))
        rows = [
            fields.published_file_data(
                item,
                project_id,
                version_ids.get(item.version) if item.version else None,
                types.get(item.file_type) if item.file_type else None,
            )
            for item in items
        ]
        tracker.session.create_all(sgs.PUBLISHED_FILE, [_pfilter(project_id)], rows)
    return list(files)


def list_published_files(
    tracker: ShotGridTracker, project: str, version: str | None = None
) -> list[PublishedFile]:
    project_id = tracker.project_id(project)
    filters: list[Any] = [_pfilter(project_id)]
    if version is not None:
        ids = _version_ids(tracker, project_id, [version])
        if version not in ids:
            return []
        filters.append(["version", "is", sgs.link(sgs.VERSION, ids[version])])
    rows = tracker.session.find(
        sgs.PUBLISHED_FILE,
        filters,
        sgs.PUBLISHED_FILE_FIELDS,
        order=[{"field_name": "id", "direction": "asc"}],
    )
    version_ids = {sgs.link_id(row.get("version")) for row in rows}
    codes = _version_codes(tracker, {i for i in version_ids if i is not None})
    return [fields.published_file_from(project, row, codes) for row in rows]
