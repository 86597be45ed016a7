"""Playlists and published files of the local tracker (mixed into LocalTracker)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from onepiece.adapters.trackers.local import rows
from onepiece.adapters.trackers.local.db import SqliteDatabase
from onepiece.domain.entities import Playlist, PublishedFile
from onepiece.errors import EntityNotFound, TrackerRejected

_PLAYLIST_VERSIONS = (
    "SELECT v.code FROM playlist_versions pv JOIN versions v ON v.id = pv.version_id "
    "WHERE pv.playlist_id = ? ORDER BY pv.position"
)


class PlaylistsAndFiles:
    _db: SqliteDatabase

    # Playlists

    def create_playlist(
        self, project: str, code: str, description: str | None = None
    ) -> tuple[Playlist, bool]:
        """Find or create; an existing playlist keeps its description and versions."""
        with self._db.write() as conn:
            rows.require_project(conn, project)
            cursor = conn.execute(
                "INSERT INTO playlists (project, code, description, created_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (project, code) DO NOTHING",
                (project, code, description, rows.utc_text()),
            )
            playlist = _playlist(conn, project, code)
        return playlist, cursor.rowcount == 1

    def add_to_playlist(self, project: str, code: str, versions: Sequence[str]) -> Playlist:
        """Append versions in the order given; ones already in the playlist are skipped.

        Raises EntityNotFound (and adds nothing) if the playlist or any version
        does not exist.
        """
        with self._db.write() as conn:
            playlist_id = _playlist_row(conn, project, code)["id"]
            ids = {
                row["code"]: row["id"]
                for row in conn.execute(
                    "SELECT id, code FROM versions WHERE project = ? "
                    "AND code IN (SELECT value FROM json_each(?))",
                    (project, rows.json_list(versions)),
                )
            }
            missing = [version for version in rows.unique_in_order(versions) if version not in ids]
            if missing:
                raise EntityNotFound(
                    f"no version {rows.name_some(missing)} in project {project}",
                    context={"project": project, "codes": missing},
                )
            last = conn.execute(
                "SELECT COALESCE(MAX(position), 0) FROM playlist_versions WHERE playlist_id = ?",
                (playlist_id,),
            ).fetchone()[0]
            for offset, version in enumerate(rows.unique_in_order(versions), start=1):
                conn.execute(
                    "INSERT INTO playlist_versions (playlist_id, version_id, position) "
                    "VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                    (playlist_id, ids[version], last + offset),
                )
            return _playlist(conn, project, code)

    def get_playlist(self, project: str, code: str) -> Playlist:
        with self._db.read() as conn:
            return _playlist(conn, project, code)

    def list_playlists(self, project: str) -> list[Playlist]:
        with self._db.read() as conn:
            rows.require_project(conn, project)
            members: dict[int, list[str]] = {}
            for row in conn.execute(
                "SELECT pv.playlist_id, v.code FROM playlist_versions pv "
                "JOIN versions v ON v.id = pv.version_id WHERE v.project = ? "
                "ORDER BY pv.playlist_id, pv.position",
                (project,),
            ):
                members.setdefault(row[0], []).append(row[1])
            return [
                rows.playlist_from_row(row, members.get(row["id"], []))
                for row in conn.execute(
                    "SELECT * FROM playlists WHERE project = ? ORDER BY code", (project,)
                )
            ]

    # Published files

    def create_published_files(self, files: Sequence[PublishedFile]) -> list[PublishedFile]:
        """Create all or nothing.

        Publishing the same file again (same code, path, version, type, checksum
        and size) is a no-op, so re-runs are safe; a different file under an
        existing code raises TrackerRejected. An unknown project or version
        raises EntityNotFound.
        """
        now = rows.utc_text()
        with self._db.write() as conn:
            for project in rows.unique_in_order(file.project for file in files):
                rows.require_project(conn, project)
            for file in files:
                if file.version is not None and not _version_exists(conn, file):
                    raise EntityNotFound(
                        f"no version {file.version} in project {file.project} "
                        f"for published file {file.code}",
                        context={"project": file.project, "codes": [file.version]},
                    )
                cursor = conn.execute(
                    "INSERT INTO published_files (project, code, path, version, file_type, "
                    "checksum, size, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (project, code) DO NOTHING",
                    (
                        file.project,
                        file.code,
                        file.path,
                        file.version,
                        file.file_type,
                        file.checksum,
                        file.size,
                        now,
                    ),
                )
                if cursor.rowcount == 0 and _published_file(conn, file) != file:
                    raise TrackerRejected(
                        f"published file {file.code} already exists in project "
                        f"{file.project} with different details",
                        hint="publish under a new name",
                        context={"project": file.project, "code": file.code},
                    )
        return list(files)

    def list_published_files(self, project: str, version: str | None = None) -> list[PublishedFile]:
        sql = "SELECT * FROM published_files WHERE project = ?"
        params: tuple[str, ...] = (project,)
        if version is not None:
            sql += " AND version = ?"
            params = (project, version)
        with self._db.read() as conn:
            rows.require_project(conn, project)
            return [
                rows.published_file_from_row(row)
                for row in conn.execute(sql + " ORDER BY code", params)
            ]


def _playlist_row(conn: sqlite3.Connection, project: str, code: str) -> sqlite3.Row:
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM playlists WHERE project = ? AND code = ?", (project, code)
    ).fetchone()
    if row is None:
        raise EntityNotFound(
            f"no playlist {code} in project {project}",
            context={"project": project, "playlist": code},
        )
    return row


def _playlist(conn: sqlite3.Connection, project: str, code: str) -> Playlist:
    row = _playlist_row(conn, project, code)
    versions = [member[0] for member in conn.execute(_PLAYLIST_VERSIONS, (row["id"],))]
    return rows.playlist_from_row(row, versions)


def _version_exists(conn: sqlite3.Connection, file: PublishedFile) -> bool:
    sql = "SELECT 1 FROM versions WHERE project = ? AND code = ?"
    return conn.execute(sql, (file.project, file.version)).fetchone() is not None


def _published_file(conn: sqlite3.Connection, file: PublishedFile) -> PublishedFile:
    row = conn.execute(
        "SELECT * FROM published_files WHERE project = ? AND code = ?", (file.project, file.code)
    ).fetchone()
    return rows.published_file_from_row(row)
