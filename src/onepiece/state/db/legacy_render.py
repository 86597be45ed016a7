"""Read the render job history file (``render-jobs.db``) for the one-time import.

The file is opened read-only (``mode=ro``): the import never writes to it,
even to checkpoint its WAL. Jobs keep their order (their new ``seq`` follows
the old one), their ids and their full records.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import update
from sqlalchemy.engine import Connection

from onepiece.errors import ConfigError
from onepiece.state.db import schema
from onepiece.state.db.sql import insert_new


def read_render_history(path: Path) -> list[dict[str, Any]] | None:
    """The history's jobs as table rows, oldest first; None when there is no file."""
    if not path.exists():
        return None
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            rows = connection.execute(
                "SELECT id, farm, status, finished, submitted_at, data FROM jobs ORDER BY seq"
            ).fetchall()
        finally:
            connection.close()
        return [
            {
                "id": str(job_id),
                "farm": str(farm),
                "status": str(status),
                "finished": bool(finished),
                "submitted_at": float(submitted_at),
                "data": json.loads(data),
            }
            for job_id, farm, status, finished, submitted_at, data in rows
        ]
    except (sqlite3.Error, ValueError, TypeError) as exc:
        raise ConfigError(
            f"render job history {path} cannot be read to import it: {exc}",
            hint="restore it from backup or move it aside, then run: onepiece db upgrade",
        ) from exc


def import_render_jobs(connection: Connection, _path: Path, rows: list[dict[str, Any]]) -> int:
    added = sum(insert_new(connection, schema.render_jobs, row, ["id"]) for row in rows)
    # Keep SqlRenderJobStore's job counter true if a store already created it
    # (otherwise the store counts the table when it first starts).
    counters = schema.counters
    connection.execute(
        update(counters)
        .where(counters.c.name == "render_jobs.size")
        .values(value=counters.c.value + added)
    )
    return added
