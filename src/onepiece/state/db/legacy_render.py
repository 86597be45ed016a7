"""Read the render job history file (``TRAFALGAR_RENDER_JOBS_PATH``) for the one-time import.

Either format earlier versions kept there: the SQLite history (``render-jobs.db``),
opened read-only (``mode=ro``) so the import never writes to it, even to
checkpoint its WAL; or a JSON history (the published documents' format: the
API's job, with ``job_id``/``farm_type``/``request`` or without). Jobs keep
their order (their new ``seq`` follows the old one), their ids and every field
of the job record. A damaged or foreign file stops the import with one line
naming it; a job that is not valid (legacy_checks' rule) is skipped and
reported, never written: what is imported is what this version would write.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import update
from sqlalchemy.engine import Connection

from onepiece.domain.render import FrameCounts, JobRequest, JobStatus, RenderJob
from onepiece.errors import ConfigError
from onepiece.state.db import schema
from onepiece.state.db.legacy_checks import (
    INT32,
    BadRecord,
    Skipped,
    an_object,
    check_text,
    insert_valid,
    integer,
    label,
    mapping,
    optional_text,
    read_time,
    show,
    storable,
)
from onepiece.state.render_history_file import inspect_history, load_json_jobs

_HINT = "restore it from backup or move it aside, then run: onepiece db upgrade"
# The published documents' status names, and the earlier ones, for ours.
_STATUS_NAMES = {"completed": "succeeded", "success": "succeeded", "error": "failed"}
# Where a job's submit time may be: ours, then the published documents' names.
_SUBMIT_KEYS = ("submitted_at", "created_at", "updated_at")


def _when(record: dict[str, Any], key: str) -> datetime | None:
    """An optional time: ISO 8601 or epoch seconds (the SQLite history's unit)."""
    value = record.get(key)
    return None if value is None else read_time(value, key, epoch=True)


def _status(record: dict[str, Any]) -> JobStatus:
    value = record.get("status")
    if value is None:
        raise BadRecord("missing status")
    name = check_text(value, "status", 32).lower()
    name = _STATUS_NAMES.get(name, name)
    if name not in JobStatus.__members__:
        raise BadRecord(f"status {show(value)} is not one of {', '.join(JobStatus)}")
    return JobStatus(name)


def _frame_counts(record: dict[str, Any]) -> FrameCounts:
    counts = mapping(record, "frame_counts", counts=True)
    unknown = sorted(set(counts) - set(FrameCounts.__dataclass_fields__))
    if unknown:
        raise BadRecord(f"frame_counts has no {show(unknown[0])} counter")
    return FrameCounts(**counts)


def job_from_json(entry: Any) -> RenderJob:
    """A job from our own JSON form (``RenderJob.to_dict``, the API's) or the
    published documents' (``job_id``, ``farm_type``, ``request``); BadRecord
    saying why when it is not a valid job."""
    record = an_object(entry)
    job_id = record.get("id", record.get("job_id"))
    if job_id is None or job_id == "":
        raise BadRecord("missing id")
    job_id = check_text(job_id, "id", 200)
    req = record.get("request")
    req = {} if req is None else req
    if not isinstance(req, dict):
        raise BadRecord(f"request is not an object ({show(req)})")
    fields = {**record, **req}  # the request's own fields win (the published form)
    status = _status(record)
    submit_key = next((k for k in _SUBMIT_KEYS if record.get(k) is not None), None)
    if submit_key is None:
        raise BadRecord("missing submitted_at")
    submitted = read_time(record[submit_key], submit_key, epoch=True)
    farm = record.get("farm") or req.get("farm") or record.get("farm_type") or "local"
    frames = fields.get("frames") if fields.get("frames") is not None else fields.get("frame_range")
    request = JobRequest(
        dcc=optional_text(fields, "dcc", 200) or "unknown",
        scene=optional_text(fields, "scene") or "",
        frames=check_text(frames, "frames") if frames is not None else "",
        output=optional_text(fields, "output") or "",
        farm=check_text(farm, "farm", 200),
        priority=integer(fields, "priority", -INT32, INT32, 50),
        chunk_size=integer(fields, "chunk_size", 1, INT32, 10),
        user=optional_text(fields, "user", 256),
    )
    job = RenderJob(
        id=job_id,
        request=request,
        farm_job_id=optional_text(record, "farm_job_id", 200) or job_id,
        status=status,
        submitted_at=submitted,
        updated_at=_when(record, "updated_at") or submitted,
        frames=_frame_counts(record),
        message=optional_text(record, "message"),
        started_at=_when(record, "started_at"),
        finished_at=_when(record, "finished_at"),
        host=optional_text(record, "host", 255),
        cancel_requested=optional_text(record, "cancel_requested"),
    )
    storable(job.to_dict())
    return job


def _job_row(entry: Any) -> dict[str, Any]:
    job = job_from_json(entry)
    return {
        "id": job.id,
        "farm": job.farm,
        "status": job.status.value,
        "finished": job.status.finished,
        "submitted_at": job.submitted_at.timestamp(),
        "data": job.to_dict(),
    }


def _stored(data: Any) -> Any:
    """A SQLite history row's job document, or why it cannot be read."""
    try:
        return json.loads(data)
    except (TypeError, ValueError, RecursionError):
        return BadRecord(f"its stored record is not JSON ({show(data)})")


def read_render_history(path: Path) -> list[tuple[str, Any]] | None:
    """The history's jobs, oldest first, as ``(where, entry)`` for the import to
    check one by one; None when there is no file."""
    found = inspect_history(path)
    if found.kind == "new":
        return None
    if found.kind in ("damaged", "other"):
        raise ConfigError(
            f"render job history {path} cannot be imported: {found.reason}", hint=_HINT
        )
    if found.kind == "json":
        entries = load_json_jobs(path)
        return [(label(entry, n, "job"), entry) for n, entry in enumerate(entries, 1)]
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            rows = connection.execute("SELECT id, data FROM jobs ORDER BY seq").fetchall()
        finally:
            connection.close()
    except sqlite3.Error as exc:
        raise ConfigError(
            f"render job history {path} cannot be read to import it: {exc}",
            hint=_HINT,
        ) from exc
    return [(f"job {show(job_id)}", _stored(data)) for job_id, data in rows]


def import_render_jobs(
    connection: Connection, _path: Path, entries: list[tuple[str, Any]], skipped: Skipped
) -> int:
    table = schema.render_jobs
    added = insert_valid(connection, table, ["id"], entries, _job_row, skipped)
    # Keep SqlRenderJobStore's job counter true if a store already created it
    # (otherwise the store counts the table when it first starts).
    counters = schema.counters
    connection.execute(
        update(counters)
        .where(counters.c.name == "render_jobs.size")
        .values(value=counters.c.value + added)
    )
    return added
