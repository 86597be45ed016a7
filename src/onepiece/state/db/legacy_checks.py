"""Checks on the records of an earlier version's files, before the import writes them.

The import's rule (docs/database.md, "Carrying over existing data"): a file
that cannot be parsed stops it; in a file that parses, a record that is not
valid is skipped and counted, never written. "Valid" means what the current
code and the database need to read it back: the types the record's fields
have when this version writes them, integers that fit their columns, texts
the database can store (no NUL, no lone surrogate), timestamps that can be
read (one that cannot is a bad record, not "now"). Each check raises
``BadRecord`` with a reason short enough for the one-line report.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table
from sqlalchemy.engine import Connection

from onepiece.state.db.records import delivery_row, run_row
from onepiece.state.db.sql import insert_new
from onepiece.state.deliveries import DeliveryRecord
from onepiece.state.ingest_runs import RUN_STATUSES

INT32 = 2**31 - 1  # an Integer column (PostgreSQL int4)
INT64 = 2**63 - 1  # a BigInteger column, and SQLite's widest integer
TEXT = 4096  # a path or a message: longer means the field is not what it says
MOMENT = 40  # the String(40) time columns
MAX_DEPTH = 32  # a record nested deeper than any writer nests it is not one of ours
REASONS_KEPT = 2  # the report names the first reasons; the count says how many more


class BadRecord(ValueError):
    """Why one record of a file that parsed is not imported."""


@dataclass
class Skipped:
    """What one file's import left out, for its report."""

    count: int = 0
    reasons: list[str] = field(default_factory=list)

    def add(self, where: str, reason: str) -> None:
        self.count += 1
        self.note(f"{where}: {reason}")

    def note(self, reason: str) -> None:
        """A reason without a record (the unreadable cache, a sync time left unset)."""
        if len(self.reasons) < REASONS_KEPT:
            self.reasons.append(reason)


def show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def an_object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BadRecord(f"not an object ({show(value)})")
    return value


def label(record: Any, index: int, noun: str = "record") -> str:
    """``record 'id'`` when it has a usable id (or code), else its place in the file."""
    keys = ("id", "job_id", "code")
    found = next((record[k] for k in keys if k in record), None) if isinstance(record, dict) else 0
    if isinstance(found, str) and 0 < len(found) <= 60:
        return f"{noun} {found!r}"
    return f"{noun} #{index}"


def require(record: Mapping[str, Any], *keys: str) -> None:
    missing = [key for key in keys if record.get(key) is None]
    if missing:
        raise BadRecord(f"missing {', '.join(missing)}")


def check_text(value: Any, key: str, limit: int = TEXT) -> str:
    if not isinstance(value, str):
        raise BadRecord(f"{key} is not a text ({show(value)})")
    if len(value) > limit:
        raise BadRecord(f"{key} is longer than {limit} characters")
    if "\x00" in value:
        raise BadRecord(f"{key} holds a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise BadRecord(f"{key} holds a lone surrogate (\\ud8xx)") from None
    return value


def text(record: Mapping[str, Any], key: str, limit: int = TEXT) -> str:
    """A required, non-empty text."""
    value = record.get(key)
    if value is None or value == "":
        raise BadRecord(f"missing {key}")
    return check_text(value, key, limit)


def optional_text(record: Mapping[str, Any], key: str, limit: int = TEXT) -> str | None:
    value = record.get(key)
    return None if value is None else check_text(value, key, limit)


def integer(
    record: Mapping[str, Any], key: str, low: int, high: int, default: int | None = None
) -> int:
    """An integer in ``low..high``; ``default`` when absent (None: required)."""
    value = record.get(key)
    if value is None and default is not None:
        return default
    if value is None:
        raise BadRecord(f"missing {key}")
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRecord(f"{key} is not an integer ({show(value)})")
    if not low <= value <= high:
        raise BadRecord(f"{key} {show(value)} is outside {low}..{high}")
    return value


def number(record: Mapping[str, Any], key: str, low: float = -math.inf) -> float | None:
    """An optional finite number (no boolean) of at least ``low``."""
    value = record.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadRecord(f"{key} is not a number ({show(value)})")
    finite = abs(value) <= INT64 if isinstance(value, int) else math.isfinite(value)
    if not finite or value < low:
        raise BadRecord(f"{key} {show(value)} is out of range")
    return float(value)


def flag(record: Mapping[str, Any], key: str) -> bool:
    value = record.get(key, False)
    if not isinstance(value, bool):
        raise BadRecord(f"{key} is not true or false ({show(value)})")
    return value


def read_time(value: Any, key: str, *, epoch: bool = False) -> datetime:
    """An ISO 8601 time (naive: UTC), or with ``epoch`` also epoch seconds."""
    try:
        if isinstance(value, str) and len(value) <= MOMENT:
            moment = datetime.fromisoformat(value)
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        if epoch and isinstance(value, int | float) and not isinstance(value, bool):
            return datetime.fromtimestamp(value, UTC)
    except (ValueError, OverflowError, OSError):
        pass
    raise BadRecord(f"{key} {show(value)} is not a time this version can read")


def moment(record: Mapping[str, Any], key: str, *, required: bool = True) -> str | None:
    """A time kept as the file wrote it (these are read back as text)."""
    if required:
        require(record, key)
    value = record.get(key)
    if value is not None:
        read_time(check_text(value, key, MOMENT), key)
    return value


def mapping(record: Mapping[str, Any], key: str, *, counts: bool = False) -> dict[str, Any]:
    """An object (absent: empty); with ``counts``, of non-negative integers."""
    value = record.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadRecord(f"{key} is not an object ({show(value)})")
    for name, number in value.items() if counts else ():
        if isinstance(number, bool) or not isinstance(number, int) or not 0 <= number <= INT64:
            raise BadRecord(f"{key}.{name} is not a count ({show(number)})")
    return value


def texts(record: Mapping[str, Any], key: str) -> list[str]:
    value = record.get(key, [])
    if not isinstance(value, list):
        raise BadRecord(f"{key} is not a list ({show(value)})")
    return [check_text(item, f"{key} item") for item in value]


def storable(document: Any) -> None:
    """Everything in ``document`` can be stored and read back by both databases:
    finite numbers, 64-bit integers, texts without NUL, a bounded depth."""
    pending: list[tuple[Any, int]] = [(document, 0)]
    while pending:
        value, depth = pending.pop()
        if depth > MAX_DEPTH:
            raise BadRecord(f"nested deeper than {MAX_DEPTH} levels")
        if isinstance(value, str):
            check_text(value, "a text", limit=1_000_000)
        elif isinstance(value, float) and not math.isfinite(value):
            raise BadRecord(f"holds {value!r}, not a finite number")
        elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > INT64:
            raise BadRecord(f"holds {show(value)}, wider than 64 bits")
        elif isinstance(value, dict):
            pending.extend((item, depth + 1) for pair in value.items() for item in pair)
        elif isinstance(value, list):
            pending.extend((item, depth + 1) for item in value)


def insert_valid(
    connection: Connection,
    table: Table,
    keys: list[str],
    candidates: Iterable[tuple[str, Any]],
    validate: Callable[[Any], dict[str, Any]],
    skipped: Skipped,
) -> int:
    """Insert each ``(where, record)`` that ``validate`` turns into a row; count and
    name the others in ``skipped`` (a record may also come as its BadRecord)."""
    seen: set[tuple[Any, ...]] = set()
    added = 0
    for where, record in candidates:
        try:
            if isinstance(record, BadRecord):
                raise record
            values = validate(record)
        except BadRecord as exc:
            skipped.add(where, str(exc))
            continue
        identity = tuple(values[key] for key in keys)
        if identity in seen:  # the first one wins, as the file's own readers did
            skipped.add(where, f"duplicate {'/'.join(keys)} {show(identity[-1])}")
            continue
        seen.add(identity)
        if insert_new(connection, table, values, keys):
            added += 1
        else:
            skipped.add(where, "already in the state database")
    return added


# One validator per record file: the record (or its (key, entry)) -> its row.


def run_row_of(record: Any) -> dict[str, Any]:
    """An ingest run as docs/ingest_runs.md describes it (unknown extra fields kept)."""
    run = an_object(record)
    text(run, "id", 200)
    status = text(run, "status", 32)
    if status not in RUN_STATUSES:
        raise BadRecord(f"status {show(status)} is not one of {', '.join(RUN_STATUSES)}")
    for key in ("started_at", "updated_at", "completed_at"):
        moment(run, key, required=False)
    for key in ("project", "show", "source", "folder", "bucket", "report_path", "error", "user"):
        optional_text(run, key)
    optional_text(run, "host", 255)
    if run.get("pid") is not None:
        integer(run, "pid", 0, INT32)
    number(run, "pid_started")
    mapping(run, "counts", counts=True)
    mapping(run, "summary")
    flag(run, "dry_run")
    storable(run)
    return run_row(run)


def delivery_row_of(record: Any) -> dict[str, Any]:
    entry = an_object(record)
    text(entry, "id", 200)
    text(entry, "project", 200)
    require(entry, "context", "created_at", "entry_count", "total_bytes", "package")
    check_text(entry["context"], "context")
    check_text(entry["package"], "package")
    moment(entry, "created_at")
    for key in ("entry_count", "total_bytes"):
        integer(entry, key, 0, INT64)
    integer(entry, "problem_count", 0, INT64, default=0)
    for key in ("zip_path", "zip_uri", "upstream_manifest"):
        optional_text(entry, key)
    for key in ("manifest_uris", "manifest_paths", "versions"):
        texts(entry, key)
    delivery = DeliveryRecord.from_dict(entry)
    storable(delivery.to_dict())
    return delivery_row(delivery)


def result_of(record: Any) -> dict[str, Any]:
    """A reconcile result: project, scope, total, the summary's counts, when."""
    entry = an_object(record)
    project, scope = text(entry, "project", 200), text(entry, "scope", 64)
    total = integer(entry, "total", 0, INT32)
    require(entry, "summary")
    summary = mapping(entry, "summary", counts=True)
    return {"project": project, "scope": scope, "total": total, "summary": summary,
            "at": moment(entry, "at")}  # fmt: skip


def project_of(record: Any) -> dict[str, Any]:
    row = an_object(record)
    code = text(row, "code", 200)
    return {
        "code": code,
        "name": optional_text(row, "name", 500) or code,
        "configured": flag(row, "configured"),
        "in_tracker": flag(row, "in_tracker"),
    }


def media_of(item: tuple[str, Any]) -> dict[str, Any]:
    path, entry = item[0], an_object(item[1])
    return {
        "path": check_text(path, "path"),
        "size": integer(entry, "size", 0, INT64),
        "mtime_ns": integer(entry, "mtime_ns", -INT64, INT64),
        "seconds": number(entry, "seconds", low=0),  # None: probed, no duration
    }
