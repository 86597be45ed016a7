"""Read the render job history file (``TRAFALGAR_RENDER_JOBS_PATH``) for the one-time import.

Either format earlier versions kept there: the SQLite history (``render-jobs.db``),
opened read-only (``mode=ro``) so the import never writes to it, even to
checkpoint its WAL; or a JSON history (the published documents' format). Jobs
keep their order (their new ``seq`` follows the old one), their ids and their
full records. A damaged or foreign file stops the import with one line naming it.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import update
from sqlalchemy.engine import Connection

from onepiece.domain.render import RenderJob
from onepiece.errors import ConfigError
from onepiece.state.db import schema
from onepiece.state.db.sql import insert_new
from onepiece.state.render_history_file import inspect_history, job_from_json, load_json_jobs

_HINT = "restore it from backup or move it aside, then run: onepiece db upgrade"


def _job_row(job: RenderJob) -> dict[str, Any]:
    return {
        "id": job.id,
        "farm": job.farm,
        "status": job.status.value,
        "finished": job.status.finished,
        "submitted_at": job.submitted_at.timestamp(),
        "data": job.to_dict(),
    }


def read_render_history(path: Path) -> list[dict[str, Any]] | None:
    """The history's jobs as table rows, oldest first; None when there is no file."""
    found = inspect_history(path)
    if found.kind == "new":
        return None
    if found.kind in ("damaged", "other"):
        raise ConfigError(
            f"render job history {path} cannot be imported: {found.reason}", hint=_HINT
        )
    if found.kind == "json":
        jobs = [job_from_json(entry) for entry in load_json_jobs(path)]
        return [_job_row(job) for job in jobs if job is not None]
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
            hint=_HINT,
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
