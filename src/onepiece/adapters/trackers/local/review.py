"""Review media of the local tracker (mixed into LocalTracker): one row per Version."""

from __future__ import annotations

import json
from typing import Any

from onepiece.adapters.trackers.local import rows
from onepiece.adapters.trackers.local.db import SqliteDatabase
from onepiece.domain.review_media import ReviewAttachment
from onepiece.errors import EntityNotFound


class LocalReviewMedia:
    _db: SqliteDatabase

    def attach_review_media(self, project: str, code: str, media: ReviewAttachment) -> None:
        with self._db.write() as conn:
            if (
                conn.execute(
                    "SELECT 1 FROM versions WHERE project = ? AND code = ?", (project, code)
                ).fetchone()
                is None
            ):
                raise EntityNotFound(f"version {code} not found in project {project}")
            conn.execute(
                "INSERT INTO review_media (project, code, thumbnail, movie, record_uri, record, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (project, code) DO UPDATE "
                "SET thumbnail = excluded.thumbnail, movie = excluded.movie, "
                "record_uri = excluded.record_uri, record = excluded.record, "
                "updated_at = excluded.updated_at",
                (
                    project,
                    code,
                    media.thumbnail_uri,
                    media.proxy_uri,
                    media.record_uri,
                    json.dumps(dict(media.record), sort_keys=True, default=str),
                    rows.utc_text(),
                ),
            )

    def review_media(self, project: str, code: str) -> dict[str, Any] | None:
        with self._db.read() as conn:
            row = conn.execute(
                "SELECT thumbnail, movie, record_uri, record, updated_at FROM review_media "
                "WHERE project = ? AND code = ?",
                (project, code),
            ).fetchone()
        if row is None:
            return None
        return {
            "thumbnail": row[0],
            "movie": row[1],
            "record_uri": row[2],
            "record": json.loads(row[3]),
            "updated_at": row[4],
        }
