"""What is at the render history path, checked before anything is written there.

``inspect_history`` tells a sound SQLite history from a damaged one (emptied,
truncated, pages overwritten: header check plus ``PRAGMA quick_check``), from
a JSON history (the format the published documents describe) and from any
other file (refused), before the one-time import into the state database
(``state.db.legacy_render``) reads it; ``job_from_json`` reads a JSON entry.
"""

from __future__ import annotations

import json
import sqlite3
import struct
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from onepiece.domain.render import JobRequest, JobStatus, RenderJob

SQLITE_HEADER = b"SQLite format 3\x00"
# SQLite result codes (low byte) that mean the file itself is damaged.
CORRUPT_CODES = (11, 26)  # SQLITE_CORRUPT, SQLITE_NOTADB


@dataclass(frozen=True)
class HistoryFile:
    kind: Literal["new", "sqlite", "damaged", "json", "other"]
    reason: str = ""


def is_corruption(exc: sqlite3.DatabaseError) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in CORRUPT_CODES


def _header_problem(path: Path, head: bytes) -> str | None:
    if len(head) < 100:
        return f"truncated to {len(head)} bytes (shorter than a SQLite header)"
    (page_size,) = struct.unpack(">H", head[16:18])
    page_size = 65536 if page_size == 1 else page_size
    # The header's page count is trustworthy when its change counter matches.
    if head[24:28] == head[92:96] and head[24:28] != bytes(4):
        (count,) = struct.unpack(">I", head[28:32])
        size = path.stat().st_size
        if count * page_size > size:
            return f"truncated: {size} bytes where its header declares {count * page_size}"
    return None


def _quick_check(path: Path) -> str | None:
    try:
        db = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=10.0)
    except sqlite3.Error as exc:
        return str(exc)
    try:
        rows = db.execute("PRAGMA quick_check(5)").fetchall()
    except sqlite3.DatabaseError as exc:
        if not is_corruption(exc) and "malformed" not in str(exc):
            raise
        return str(exc)
    finally:
        db.close()
    found = [str(r[0]) for r in rows]
    return None if found == ["ok"] else "; ".join(found)


def inspect_history(path: Path) -> HistoryFile:
    """Classify the file at ``path`` without writing anything."""
    try:
        with path.open("rb") as file:
            head = file.read(100)
    except FileNotFoundError:
        return HistoryFile("new")
    except OSError as exc:  # a folder, no permission...: not a file the server can use
        return HistoryFile("other", f"it cannot be read ({exc.strerror or exc}); refused")
    if not head:
        return HistoryFile("damaged", "the file is empty (0 bytes): emptied or truncated")
    if head.startswith(SQLITE_HEADER):
        problem = _header_problem(path, head) or _quick_check(path)
        return HistoryFile("damaged", problem) if problem else HistoryFile("sqlite")
    if head.lstrip()[:1] in (b"[", b"{"):
        try:
            load_json_jobs(path)
        except (ValueError, UnicodeDecodeError) as exc:
            return HistoryFile("other", f"JSON, but not a render job history ({exc}); refused")
        return HistoryFile("json")
    return HistoryFile("other", "nor a JSON render history to import; refused")


def load_json_jobs(path: Path) -> list[dict[str, Any]]:
    data = json.loads(path.read_text("utf-8"))
    if isinstance(data, dict):
        data = data.get("jobs", list(data.values()))
    if not isinstance(data, list) or not all(isinstance(j, dict) for j in data):
        raise ValueError("expected a list of jobs (or {'jobs': [...]})")
    return data


_STATUS_NAMES = {"completed": "succeeded", "success": "succeeded", "error": "failed"}


def job_from_json(data: dict[str, Any]) -> RenderJob | None:
    """A job from our own JSON form or the published documents' (``job_id``,
    ``request``, ``completed``); None for an entry without an id."""
    job_id = data.get("id") or data.get("job_id")
    if not job_id:
        return None
    nested = data.get("request")
    req: dict[str, Any] = nested if isinstance(nested, dict) else data
    status_name = str(data.get("status", "failed")).lower()
    status_name = _STATUS_NAMES.get(status_name, status_name)
    status = JobStatus(status_name) if status_name in JobStatus.__members__ else JobStatus.failed
    when = next(
        (v for k in ("submitted_at", "created_at", "updated_at") if (v := data.get(k))), None
    )
    submitted = datetime.fromisoformat(when) if isinstance(when, str) else datetime.now(UTC)
    if submitted.tzinfo is None:
        submitted = submitted.replace(tzinfo=UTC)
    request = JobRequest(
        dcc=str(req.get("dcc") or "unknown"),
        scene=str(req.get("scene") or ""),
        frames=str(req.get("frames") or req.get("frame_range") or ""),
        output=str(req.get("output") or ""),
        farm=str(data.get("farm") or req.get("farm") or "local"),
        priority=int(req.get("priority") or 50),
        chunk_size=int(req.get("chunk_size") or 10),
        user=req.get("user"),
    )
    return RenderJob(
        id=str(job_id),
        request=request,
        farm_job_id=str(data.get("farm_job_id") or job_id),
        status=status,
        submitted_at=submitted,
        updated_at=submitted,
        message=data.get("message"),
    )
