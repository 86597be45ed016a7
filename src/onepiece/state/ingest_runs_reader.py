"""Read-only view of the ingest run registry the CLI writes (``ingest-runs.json``).

The CLI's ingest owns the file and writes it atomically; the web service only
reads it, so it never sees a half-written file. Format::

    {"runs": [{"id": "...", "project": "...", "status": "running|completed|failed|cancelled",
               "started_at": "ISO-8601", "completed_at": "ISO-8601" | null, ...}]}

Unknown fields are ignored, so the writer can grow the format freely.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from onepiece.domain.dashboard import IngestRunRecord
from onepiece.errors import IntegrityError, StorageUnavailable


def _timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    # Naive timestamps are taken as UTC so every run compares with every other.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_runs(data: Any, *, source: str = "ingest registry") -> list[IngestRunRecord]:
    runs = data.get("runs") if isinstance(data, dict) else None
    if not isinstance(runs, list):
        raise IntegrityError(
            f"{source} has no 'runs' list",
            hint="the file is written by `onepiece ingest`; move it aside to start afresh",
        )
    records = []
    for index, run in enumerate(runs):
        if not isinstance(run, dict):
            continue
        records.append(
            IngestRunRecord(
                id=str(run.get("id", index)),
                # Statuses other than the four known ones count in the total only.
                status=str(run.get("status", "")).lower(),
                project=run.get("project") if isinstance(run.get("project"), str) else None,
                started_at=_timestamp(run.get("started_at")),
                completed_at=_timestamp(run.get("completed_at")),
            )
        )
    return records


def read_ingest_runs(path: Path) -> list[IngestRunRecord]:
    """All runs in the registry; an absent file means no ingest has run yet."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise StorageUnavailable(f"cannot read the ingest registry {path}: {exc.strerror}") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise IntegrityError(
            f"the ingest registry {path} is not valid JSON: {exc.msg} (line {exc.lineno})",
            hint="the file is written by `onepiece ingest`; move it aside to start afresh",
        ) from exc
    return parse_runs(data, source=f"the ingest registry {path}")
