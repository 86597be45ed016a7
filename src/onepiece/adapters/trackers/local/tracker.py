"""The local tracker: the embedded default, one SQLite file.

Several processes (ingests, the web service) may write to the same file at
once; see ``local_db`` for how (WAL, busy timeout, per-thread connections,
``BEGIN IMMEDIATE``) and ``local_schema`` for the migrations. Every public
method is one transaction, so bulk operations are all or nothing.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from onepiece.adapters.trackers.local import rows
from onepiece.adapters.trackers.local.db import DEFAULT_BUSY_TIMEOUT, SqliteDatabase
from onepiece.adapters.trackers.local.hierarchy import ProjectsAndHierarchy
from onepiece.adapters.trackers.local.migrations import SCHEMA_VERSION
from onepiece.adapters.trackers.local.playlists import PlaylistsAndFiles
from onepiece.adapters.trackers.local.review import LocalReviewMedia
from onepiece.config import Settings
from onepiece.domain.entities import TrackerCounts, Version
from onepiece.domain.status import matches_status_filter
from onepiece.errors import EntityNotFound, ValidationError, VersionConflict


class LocalTracker(ProjectsAndHierarchy, PlaylistsAndFiles, LocalReviewMedia):
    """Tracker port on a SQLite file (created, with its folder, on first use)."""

    name = "local"

    def __init__(
        self,
        path: Path,
        *,
        status_map: Mapping[str, str] | None = None,
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
    ) -> None:
        # status_map: the studio's raw status -> bucket overrides, for status filters.
        # busy_timeout: seconds a write waits for another process's write to finish.
        self.path = Path(path)
        self._status_map = dict(status_map or {})
        self._db = SqliteDatabase(self.path, busy_timeout=busy_timeout)

    def ping(self) -> str:
        return f"sqlite {self.path} (schema v{self._db.schema_version()})"

    def close(self) -> None:
        self._db.close()

    # Versions

    def find_version(self, project: str, code: str) -> Version | None:
        with self._db.read() as conn:
            row = conn.execute(
                f"SELECT {rows.VERSION_SELECT} FROM versions WHERE project = ? AND code = ?",
                (project, code),
            ).fetchone()
        return None if row is None else rows.version_from_row(row)

    def create_versions(self, versions: Sequence[Version]) -> list[Version]:
        """Create all or nothing; ``created_at`` defaults to now (stored as UTC).

        Raises VersionConflict naming every code that already exists (or is
        repeated in ``versions``), EntityNotFound for an unknown project.
        """
        repeated = sorted(code for (_, code), n in Counter(_keys(versions)).items() if n > 1)
        if repeated:
            raise _conflict(repeated, "repeated in the request")
        now = rows.utc_text()  # one batch, one default timestamp
        stamps = [rows.utc_text(v.created_at) if v.created_at else now for v in versions]
        params = [rows.version_params(v, stamp) for v, stamp in zip(versions, stamps, strict=True)]
        columns = ", ".join(f'"{column}"' for column in rows.VERSION_COLUMNS)
        marks = ", ".join("?" for _ in rows.VERSION_COLUMNS)
        with self._db.write() as conn:
            for project in rows.unique_in_order(version.project for version in versions):
                rows.require_project(conn, project)
            conn.execute("SAVEPOINT create_versions")
            try:
                conn.executemany(f"INSERT INTO versions ({columns}) VALUES ({marks})", params)
            except sqlite3.IntegrityError as exc:
                # The UNIQUE (project, code) constraint is the arbiter, also
                # against another process that created the same code just now.
                # Undo the rows inserted before the clash, then name the clashes.
                conn.execute("ROLLBACK TO create_versions")
                existing = _existing_codes(conn, versions)
                if not existing:
                    raise
                raise _conflict(existing, "already exist") from exc
        return [
            rows.with_created_at(version, stamp)
            for version, stamp in zip(versions, stamps, strict=True)
        ]

    def update_versions(
        self, project: str, updates: Mapping[str, Mapping[str, Any]]
    ) -> list[Version]:
        """Update fields of versions by code, all or nothing.

        Updatable: status, description, path, checksum, size, frame_first,
        frame_last, frame_range, metadata (replaced whole), duration_seconds,
        user. Raises ValidationError for any other field or a wrongly typed
        value, EntityNotFound for an unknown code.
        """
        statements = [
            (code, *rows.update_assignments(code, fields)) for code, fields in updates.items()
        ]
        with self._db.write() as conn:
            missing: list[str] = []
            for code, assignments, params in statements:
                if assignments:
                    cursor = conn.execute(
                        f"UPDATE versions SET {assignments} WHERE project = ? AND code = ?",
                        (*params, project, code),
                    )
                    found = cursor.rowcount == 1
                else:
                    found = _version_exists(conn, project, code)
                if not found:
                    missing.append(code)
            if missing:
                raise EntityNotFound(
                    f"no version {rows.name_some(missing)} in project {project}",
                    context={"project": project, "codes": missing},
                )
            found_rows = conn.execute(
                f"SELECT {rows.VERSION_SELECT} FROM versions WHERE project = ? "
                "AND code IN (SELECT value FROM json_each(?))",
                (project, rows.json_list(updates)),
            ).fetchall()
        by_code = {row["code"]: rows.version_from_row(row) for row in found_rows}
        return [by_code[code] for code in updates]

    def delete_versions(self, project: str, codes: Sequence[str]) -> int:
        """Delete by code (unknown codes are skipped); returns how many were deleted.

        Deleted versions leave their playlists; published files keep their records.
        """
        with self._db.write() as conn:
            rows.require_project(conn, project)
            cursor = conn.execute(
                "DELETE FROM versions WHERE project = ? "
                "AND code IN (SELECT value FROM json_each(?))",
                (project, rows.json_list(codes)),
            )
        return cursor.rowcount

    def list_versions(
        self,
        project: str,
        *,
        status: str | None = None,
        episodes: Sequence[str] | None = None,
        limit: int | None = None,
    ) -> list[Version]:
        """Versions of a project, newest first.

        ``status`` matches the raw status case-insensitively (``apr`` matches
        ``APR``) or, when it names a bucket, every status in that bucket
        (``approved`` matches ``apr`` and ``Approved``; the studio's
        ``status_map`` applies). ``episodes`` keeps versions whose episode is
        one of those codes. ``limit`` caps how many are returned.
        """
        if limit is not None and limit < 0:
            raise ValidationError(f"limit must be 0 or more, not {limit}")
        clauses = ["project = ?"]
        params: list[Any] = [project]
        with self._db.read() as conn:
            rows.require_project(conn, project)
            if status is not None:
                # Match on the project's distinct statuses (a handful, read from
                # the (project, status) index), then filter rows with the index.
                present = conn.execute(
                    "SELECT DISTINCT status FROM versions WHERE project = ?", (project,)
                ).fetchall()
                wanted = [
                    row["status"]
                    for row in present
                    if matches_status_filter(row["status"], status, self._status_map)
                ]
                clause = "status IN (SELECT value FROM json_each(?))"
                if None in wanted:
                    clause = f"({clause} OR status IS NULL)"
                clauses.append(clause)
                params.append(rows.json_list(value for value in wanted if value is not None))
            if episodes is not None:
                clauses.append("episode IN (SELECT value FROM json_each(?))")
                params.append(rows.json_list(episodes))
            sql = (
                f"SELECT {rows.VERSION_SELECT} FROM versions WHERE {' AND '.join(clauses)} "
                "ORDER BY created_at DESC, id DESC"
            )
            if limit is not None:
                sql += " LIMIT ?"
                params.append(limit)
            return [rows.version_from_row(row) for row in conn.execute(sql, params)]

    # Aggregates

    def counts(self, project: str | None = None) -> TrackerCounts:
        """Entity counts and raw status counts, aggregated by SQLite.

        A version or shot without a status is counted under ``""``.
        """
        where, params = ("WHERE project = ?", (project,)) if project else ("", ())
        with self._db.read() as conn:
            if project:
                rows.require_project(conn, project)
            projects = 1 if project else conn.execute("SELECT COUNT(*) FROM projects").fetchone()[0]
            totals = {
                table: conn.execute(f"SELECT COUNT(*) FROM {table} {where}", params).fetchone()[0]
                for table in ("episodes", "sequences", "shots", "versions")
            }
            # GROUP BY the bare column walks the (project, status) index in
            # order; the handful of groups are keyed in Python.
            statuses: dict[str, Counter[str]] = {}
            for table in ("versions", "shots"):
                sql = f"SELECT status, COUNT(*) FROM {table} {where} GROUP BY status"
                tally: Counter[str] = Counter()
                for status, count in conn.execute(sql, params):
                    tally[status or ""] += count
                statuses[table] = tally
        return TrackerCounts(
            projects=projects,
            episodes=totals["episodes"],
            sequences=totals["sequences"],
            shots=totals["shots"],
            versions=totals["versions"],
            version_status=dict(statuses["versions"]),
            shot_status=dict(statuses["shots"]),
        )


def _keys(versions: Sequence[Version]) -> list[tuple[str, str]]:
    return [(version.project, version.code) for version in versions]


def _version_exists(conn: sqlite3.Connection, project: str, code: str) -> bool:
    sql = "SELECT 1 FROM versions WHERE project = ? AND code = ?"
    return conn.execute(sql, (project, code)).fetchone() is not None


def _existing_codes(conn: sqlite3.Connection, versions: Sequence[Version]) -> list[str]:
    return sorted(
        version.code for version in versions if _version_exists(conn, version.project, version.code)
    )


def _conflict(codes: list[str], why: str) -> VersionConflict:
    return VersionConflict(
        f"version {rows.name_some(codes)} {why}",
        hint="publish under a new version number, or delete the old version first",
        context={"codes": codes},
    )


def create(settings: Settings) -> LocalTracker:
    """Factory used by bootstrap: the tracker file from ``tracker.path``."""
    return LocalTracker(settings.tracker_path, status_map=settings.status_map)


__all__ = ["SCHEMA_VERSION", "LocalTracker", "create"]
