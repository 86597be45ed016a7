"""What is at the render history path, checked before anything is written there.

``inspect_history`` tells a sound SQLite history from a damaged one (emptied,
truncated, pages overwritten: header check plus ``PRAGMA quick_check``), from
a JSON history (the format the published documents describe) and from any
other file (refused), before the one-time import into the state database
(``state.db.legacy_render``) reads it; ``load_json_jobs`` lists a JSON
history's entries, which the import checks one by one.
"""

from __future__ import annotations

import json
import sqlite3
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

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
    from onepiece.state.db.health import one_line_findings

    found = [str(r[0]) for r in rows]
    return None if found == ["ok"] else "; ".join(one_line_findings(found)[:3])


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
        except RecursionError:  # "[[[[..." deeper than the parser goes
            return HistoryFile("other", "JSON nested too deeply for a render job history; refused")
        return HistoryFile("json")
    return HistoryFile("other", "nor a JSON render history to import; refused")


def load_json_jobs(path: Path) -> list[Any]:
    """The entries of a JSON history: a list of jobs, ``{"jobs": [...]}`` or jobs
    keyed by id. Entries are not checked here: one that is not a job is a bad
    record of a history (skipped by the import), not a reason to refuse it."""
    data = json.loads(path.read_text("utf-8"))
    if isinstance(data, dict) and "jobs" in data:
        data = data["jobs"]
    elif isinstance(data, dict):
        # Keyed by id: every value a job, or it is some other JSON document
        # (an ingest run registry, say) and no render history.
        data = list(data.values())
        if not all(isinstance(entry, dict) for entry in data):
            raise ValueError("expected a list of jobs (or {'jobs': [...]})")
    if not isinstance(data, list):
        raise ValueError("expected a list of jobs (or {'jobs': [...]})")
    return data
