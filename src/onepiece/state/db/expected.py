"""Noticing a state database that is empty where records were expected.

A ``state.db`` deleted or replaced by a fresh file, a database URL pointing
at a new empty database, a restore of the wrong backup: each opens cleanly
and migrates into an empty schema, so nothing looks damaged, yet every job
and run the studio had is gone. The web service remembers, in a small file
in its data directory (``state-seen.json``, outside the database it
describes), how many records each database held when it last started and
stopped. A database now empty where records were seen is reported before the
service says it is listening, and ``/health`` says ``degraded`` with the
reason until the next start finds records again or the file is removed.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from onepiece.atomicio import write_json
from onepiece.state.db import schema
from onepiece.state.db.engine import describe, reading

MARKER_NAME = "state-seen.json"
log = logging.getLogger(__name__)


def count_records(engine: Engine) -> int:
    """Render jobs plus ingest runs: what a studio would miss."""
    with reading(engine) as connection:
        jobs = connection.scalar(select(func.count()).select_from(schema.render_jobs)) or 0
        runs = connection.scalar(select(func.count()).select_from(schema.ingest_runs)) or 0
    return int(jobs) + int(runs)


def _read(marker: Path) -> dict[str, Any]:
    try:
        data = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # no file yet, or unreadable: nothing was seen
    return data if isinstance(data, dict) else {}


def missing_records(engine: Engine, marker: Path) -> str | None:
    """Why this database looks emptied since it was last seen from here, or None.

    When nothing is missing, what is there now is remembered.
    """
    where = describe(engine.url)
    entry = _read(marker).get(where)
    seen: dict[str, Any] = entry if isinstance(entry, dict) else {}
    now = count_records(engine)
    before = seen.get("records")
    if isinstance(before, int) and before > 0 and now == 0:
        when = seen.get("at", "an earlier start")
        return (
            f"state database {where} holds no render jobs or ingest runs, but {before} were "
            f"there when this service last used it ({when}): was it deleted, replaced or "
            f"restored from another backup? Restore it, or remove {marker} to accept it as new"
        )
    remember(engine, marker, now)
    return None


def remember(engine: Engine, marker: Path, records: int | None = None) -> None:
    """Record how many records this database holds now (best effort)."""
    try:
        count = count_records(engine) if records is None else records
        data = _read(marker)
        data[describe(engine.url)] = {"records": count, "at": datetime.now(UTC).isoformat()}
        write_json(marker, data)
    except (OSError, SQLAlchemyError) as exc:  # a memory aid never stops the service
        log.debug("could not remember the state database's size: %s", exc)
