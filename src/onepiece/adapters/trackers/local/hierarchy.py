"""Projects, episodes, sequences, shots and assets of the local tracker.

Mixed into LocalTracker. ``ensure_hierarchy`` inserts with ``ON CONFLICT DO
NOTHING`` inside one write transaction, so running a show setup twice creates
nothing the second time, even when two processes run it at once.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any

from onepiece.adapters.trackers.base import HierarchyProgress
from onepiece.adapters.trackers.local import rows
from onepiece.adapters.trackers.local.db import SqliteDatabase
from onepiece.domain.entities import Asset, Episode, HierarchyResult, Project, Shot, ShotSpec
from onepiece.domain.entities import Sequence as SequenceEntity
from onepiece.errors import ValidationError

SHOT_UPDATABLE = frozenset({"cut_in", "cut_out", "status", "description"})


class ProjectsAndHierarchy:
    _db: SqliteDatabase

    # Projects

    def list_projects(self, include_archived: bool = False) -> list[Project]:
        sql = "SELECT code, name, archived FROM projects"
        if not include_archived:
            sql += " WHERE archived = 0"
        with self._db.read() as conn:
            return [rows.project_from_row(row) for row in conn.execute(sql + " ORDER BY code")]

    def get_project(self, code: str) -> Project:
        with self._db.read() as conn:
            row = conn.execute(
                "SELECT code, name, archived FROM projects WHERE code = ?", (code,)
            ).fetchone()
            if row is None:
                raise rows.missing_project(conn, code)
        return rows.project_from_row(row)

    def ensure_project(self, code: str, name: str | None = None) -> tuple[Project, bool]:
        if not code or not code.strip():
            raise ValidationError("a project code cannot be empty")
        with self._db.write() as conn:
            cursor = conn.execute(
                "INSERT INTO projects (code, name, created_at) VALUES (?, ?, ?) "
                "ON CONFLICT (code) DO NOTHING",
                (code, name or code, rows.utc_text()),
            )
            row = conn.execute(
                "SELECT code, name, archived FROM projects WHERE code = ?", (code,)
            ).fetchone()
        return rows.project_from_row(row), cursor.rowcount == 1

    # Hierarchy

    def ensure_hierarchy(
        self,
        project: str,
        specs: Sequence[ShotSpec],
        progress: HierarchyProgress | None = None,
    ) -> HierarchyResult:
        """Create what is missing; existing entities are reported and left unchanged.

        ``progress`` hears each entity's outcome once the transaction committed.
        """
        if any(not spec.shot or not spec.shot.strip() for spec in specs):
            raise ValidationError("every row of a show setup needs a shot code")
        result = HierarchyResult()
        now = rows.utc_text()
        episodes = list(rows.unique_in_order(spec.episode for spec in specs))
        sequences: dict[str, str | None] = {}
        shots: dict[str, ShotSpec] = {}
        for spec in specs:
            if spec.sequence:
                sequences.setdefault(spec.sequence, spec.episode)
            shots.setdefault(spec.shot, spec)
        assets = list(rows.unique_in_order(spec.asset for spec in specs))
        with self._db.write() as conn:
            rows.require_project(conn, project)
            for code in episodes:
                self._insert(conn, result, "Episode", "episodes", project, code, now, {})
            for code, episode in sequences.items():
                parent = {"episode": episode}
                self._insert(conn, result, "Sequence", "sequences", project, code, now, parent)
            for code, spec in shots.items():
                extra = {
                    "sequence": spec.sequence,
                    "episode": spec.episode,
                    "status": spec.status,
                    "cut_in": spec.cut_in,
                    "cut_out": spec.cut_out,
                    "description": spec.description,
                }
                self._insert(conn, result, "Shot", "shots", project, code, now, extra)
            for code in assets:
                self._insert(conn, result, "Asset", "assets", project, code, now, {})
        if progress is not None:
            for kind, codes in (
                ("Episode", episodes),
                ("Sequence", list(sequences)),
                ("Shot", list(shots)),
                ("Asset", assets),
            ):
                created = set(result.created.get(kind, []))
                for code in codes:
                    progress(kind, code, "created" if code in created else "existing")
        return result

    def update_shots(self, project: str, changes: Mapping[str, Mapping[str, Any]]) -> None:
        """Set the given fields of existing shots in one write transaction."""
        with self._db.write() as conn:
            rows.require_project(conn, project)
            for code, fields in changes.items():
                unknown = set(fields) - SHOT_UPDATABLE
                if unknown:
                    raise ValidationError(f"shot fields cannot be updated: {sorted(unknown)}")
                if not fields:
                    continue
                # Column names come from SHOT_UPDATABLE, never from user input.
                assignments = ", ".join(f"{name} = ?" for name in fields)
                conn.execute(
                    f"UPDATE shots SET {assignments} WHERE project = ? AND code = ?",
                    (*fields.values(), project, code),
                )

    @staticmethod
    def _insert(
        conn: sqlite3.Connection,
        result: HierarchyResult,
        kind: str,
        table: str,
        project: str,
        code: str,
        now: str,
        extra: Mapping[str, Any],
    ) -> None:
        # Table and column names are ours, never user input.
        columns = ["project", "code", "created_at", *extra]
        marks = ", ".join("?" for _ in columns)
        cursor = conn.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks}) "
            "ON CONFLICT (project, code) DO NOTHING",
            (project, code, now, *extra.values()),
        )
        result.add(kind, code, created=cursor.rowcount == 1)

    def _list(self, project: str, table: str) -> list[sqlite3.Row]:
        with self._db.read() as conn:
            rows.require_project(conn, project)
            return conn.execute(
                f"SELECT * FROM {table} WHERE project = ? ORDER BY code", (project,)
            ).fetchall()

    def list_episodes(self, project: str) -> list[Episode]:
        return [rows.episode_from_row(row) for row in self._list(project, "episodes")]

    def list_sequences(self, project: str) -> list[SequenceEntity]:
        return [rows.sequence_from_row(row) for row in self._list(project, "sequences")]

    def list_shots(self, project: str) -> list[Shot]:
        return [rows.shot_from_row(row) for row in self._list(project, "shots")]

    def list_assets(self, project: str) -> list[Asset]:
        return [rows.asset_from_row(row) for row in self._list(project, "assets")]
