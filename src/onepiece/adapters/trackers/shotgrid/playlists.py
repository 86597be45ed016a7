"""Playlists and published files on ShotGrid.

A Playlist's versions are its ``versions`` multi-entity field, appended with
the ``add`` update mode so concurrent additions are not lost. Published files
link their Version and a PublishedFileType (created on first use, as
Toolkit does); their path is a url field.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from onepiece.adapters.trackers.shotgrid import fields as sgs
from onepiece.adapters.trackers.shotgrid import media_fields as fields
from onepiece.adapters.trackers.shotgrid.session import ShotGridSession
from onepiece.domain.entities import Playlist, PublishedFile
from onepiece.errors import EntityNotFound


def _pfilter(project_id: int) -> list[Any]:
    return ["project", "is", sgs.link(sgs.PROJECT, project_id)]


def _version_codes(session: ShotGridSession, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.find(sgs.VERSION, [["id", "in", sorted(ids)]], ["code"])
    return {int(row["id"]): str(row["code"]) for row in rows}


def _version_ids(session: ShotGridSession, project_id: int, codes: Sequence[str]) -> dict[str, int]:
    if not codes:
        return {}
    rows = session.find(sgs.VERSION, [_pfilter(project_id), ["code", "in", list(codes)]], ["code"])
    return {str(row["code"]): int(row["id"]) for row in rows}


def _to_playlists(
    session: ShotGridSession, project: str, rows: list[dict[str, Any]]
) -> list[Playlist]:
    ids = {sgs.link_id(item) for row in rows for item in row.get("versions") or []}
    codes = _version_codes(session, {i for i in ids if i is not None})
    return [sgs.playlist_from(project, row, codes) for row in rows]


def _playlist_row(session: ShotGridSession, project_id: int, code: str) -> dict[str, Any] | None:
    rows = session.find(
        sgs.PLAYLIST, [_pfilter(project_id), ["code", "is", code]], sgs.PLAYLIST_FIELDS
    )
    return rows[0] if rows else None


def get_playlist(session: ShotGridSession, project: str, project_id: int, code: str) -> Playlist:
    row = _playlist_row(session, project_id, code)
    if row is None:
        raise EntityNotFound(f"playlist {code} not found in project {project}")
    return _to_playlists(session, project, [row])[0]


def list_playlists(session: ShotGridSession, project: str, project_id: int) -> list[Playlist]:
    rows = session.find(
        sgs.PLAYLIST,
        [_pfilter(project_id)],
        sgs.PLAYLIST_FIELDS,
        order=[{"field_name": "code", "direction": "asc"}],
    )
    return _to_playlists(session, project, rows)


def create_playlist(
    session: ShotGridSession,
    project: str,
    project_id: int,
    code: str,
    description: str | None = None,
) -> tuple[Playlist, bool]:
    row = _playlist_row(session, project_id, code)
    if row is not None:
        return _to_playlists(session, project, [row])[0], False
    data = sgs.drop_none(
        {
            "project": sgs.link(sgs.PROJECT, project_id),
            "code": code,
            "description": description,
            "created_at": sgs.utc_now(),
        }
    )
    session.create_chunk(sgs.PLAYLIST, [_pfilter(project_id)], [data])
    return get_playlist(session, project, project_id, code), True


def add_to_playlist(
    session: ShotGridSession, project: str, project_id: int, code: str, versions: Sequence[str]
) -> Playlist:
    row = _playlist_row(session, project_id, code)
    if row is None:
        raise EntityNotFound(f"playlist {code} not found in project {project}")
    ids = _version_ids(session, project_id, versions)
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
        session.update(sgs.PLAYLIST, int(row["id"]), {"versions": new}, {"versions": "add"})
    return get_playlist(session, project, project_id, code)


def _file_types(session: ShotGridSession, names: set[str]) -> dict[str, int]:
    """PublishedFileType code -> id, creating the missing types (Toolkit does the same)."""
    if not names:
        return {}
    rows = session.find(sgs.PUBLISHED_FILE_TYPE, [["code", "in", sorted(names)]], ["code"])
    found = {str(row["code"]): int(row["id"]) for row in rows}
    missing = [{"code": name} for name in sorted(names - set(found))]
    if missing:
        found.update(session.create_all(sgs.PUBLISHED_FILE_TYPE, [], missing))
    return found


def create_published_files(
    session: ShotGridSession,
    files: Sequence[PublishedFile],
    project_id_of: Callable[[str], int],
) -> list[PublishedFile]:
    by_project: dict[str, list[PublishedFile]] = {}
    for item in files:
        by_project.setdefault(item.project, []).append(item)
    types = _file_types(session, {f.file_type for f in files if f.file_type})
    for project, items in by_project.items():
        project_id = project_id_of(project)
        version_ids = _version_ids(
            session, project_id, sorted({f.version for f in items if f.version})
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
        session.create_all(sgs.PUBLISHED_FILE, [_pfilter(project_id)], rows)
    return list(files)


def list_published_files(
    session: ShotGridSession, project: str, project_id: int, version: str | None = None
) -> list[PublishedFile]:
    filters: list[Any] = [_pfilter(project_id)]
    if version is not None:
        ids = _version_ids(session, project_id, [version])
        if version not in ids:
            return []
        filters.append(["version", "is", sgs.link(sgs.VERSION, ids[version])])
    rows = session.find(
        sgs.PUBLISHED_FILE,
        filters,
        sgs.PUBLISHED_FILE_FIELDS,
        order=[{"field_name": "id", "direction": "asc"}],
    )
    version_ids = {sgs.link_id(row.get("version")) for row in rows}
    codes = _version_codes(session, {i for i in version_ids if i is not None})
    return [fields.published_file_from(project, row, codes) for row in rows]
