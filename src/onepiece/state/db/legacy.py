"""Carry over the files earlier versions wrote, once per database.

Each source (ingest run registry, delivery registry, reconcile results, the
dashboard project registry, the media-duration cache, the render job history) is imported in one
transaction together with its row in ``imports``, so it is imported exactly
once even when several processes start together (SQLite queues writers; on
PostgreSQL an advisory lock does). The files are only read, never changed or
removed. A record file that cannot be parsed stops the import with one line
naming it (nothing is skipped silently); the media cache is only a cache and
an unreadable one imports as empty.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.engine import Connection, Engine

from onepiece.errors import ConfigError
from onepiece.state.db import schema
from onepiece.state.db.caches import PROJECTS_SYNCED_AT
from onepiece.state.db.engine import reading
from onepiece.state.db.legacy_render import import_render_jobs, read_render_history
from onepiece.state.db.migrate import locked_transaction
from onepiece.state.db.records import delivery_row, run_row
from onepiece.state.db.sql import insert_new, upsert
from onepiece.state.deliveries import DeliveryRecord

if TYPE_CHECKING:
    from onepiece.config.model import Settings


@dataclass(frozen=True)
class LegacySources:
    """The files to import; None: not imported (that file is still the live store)."""

    ingest_runs: Path | None
    deliveries: Path | None
    reconcile_results: Path | None
    projects: Path | None
    media_durations: Path | None
    render_jobs: Path | None

    @classmethod
    def from_settings(cls, settings: Settings) -> LegacySources:
        return cls(
            ingest_runs=settings.ingest_registry_path,
            deliveries=settings.delivery_registry_path,
            reconcile_results=settings.reconcile_results_path,
            projects=settings.dashboard_projects_path,
            media_durations=settings.data_dir / "cache" / "media-durations.json",
            render_jobs=settings.render_jobs_path,
        )


@dataclass(frozen=True)
class ImportReport:
    name: str
    source: str
    imported: int  # records added by this call; 0 when done before
    already_done: bool
    missing: bool  # the file did not exist: nothing to carry over


def _read(path: Path) -> Any | None:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigError(f"cannot read {path} to import it: {exc.strerror}") from exc
    try:
        return json.loads(text)
    except ValueError as exc:
        raise ConfigError(
            f"{path} is not valid JSON: it cannot be imported into the state database",
            hint="restore it from backup or move it aside, then run: onepiece db upgrade",
        ) from exc


def _records(path: Path, data: Any, key: str, kind: type) -> Any:
    value = data.get(key) if isinstance(data, dict) else None
    if not isinstance(value, kind):
        raise ConfigError(
            f"{path} has no {key!r} {'list' if kind is list else 'table'}: cannot import it",
            hint="restore it from backup or move it aside, then run: onepiece db upgrade",
        )
    return value


def _ingest_runs(connection: Connection, path: Path, data: Any) -> int:
    runs = [r for r in _records(path, data, "runs", list) if isinstance(r, dict) and r.get("id")]
    return sum(insert_new(connection, schema.ingest_runs, run_row(r), ["id"]) for r in runs)


def _deliveries(connection: Connection, path: Path, data: Any) -> int:
    rows = [r for r in _records(path, data, "deliveries", list) if isinstance(r, dict)]
    records = [DeliveryRecord.from_dict(r) for r in rows if r.get("id") and r.get("project")]
    table = schema.deliveries
    return sum(insert_new(connection, table, delivery_row(r), ["id"]) for r in records)


def _reconcile(connection: Connection, path: Path, data: Any) -> int:
    count = 0
    for entry in _records(path, data, "projects", dict).values():
        if not isinstance(entry, dict) or not entry.get("project") or not entry.get("scope"):
            continue
        summary = entry.get("summary") if isinstance(entry.get("summary"), dict) else {}
        values = {
            "project": str(entry["project"]),
            "scope": str(entry["scope"]),
            "total": int(entry.get("total", 0)),
            "summary": summary,
            "at": str(entry.get("at") or ""),
        }
        count += insert_new(connection, schema.reconcile_results, values, ["project", "scope"])
    return count


def _projects(connection: Connection, path: Path, data: Any) -> int:
    rows = [r for r in _records(path, data, "projects", list) if isinstance(r, dict)]
    count = 0
    for row in rows:
        if not isinstance(row.get("code"), str):
            continue
        values = {
            "code": row["code"],
            "name": str(row.get("name") or row["code"]),
            "configured": bool(row.get("configured", False)),
            "in_tracker": bool(row.get("in_tracker", False)),
        }
        count += insert_new(connection, schema.projects, values, ["code"])
    synced = data.get("synced_at") if isinstance(data, dict) else None
    meta = {"key": PROJECTS_SYNCED_AT, "value": synced if isinstance(synced, str) else None}
    insert_new(connection, schema.state_meta, meta, ["key"])
    return count


def _media_durations(connection: Connection, path: Path, data: Any) -> int:
    count = 0
    for media_path, entry in (data if isinstance(data, dict) else {}).items():
        if not isinstance(entry, dict):
            continue
        size, mtime_ns, seconds = entry.get("size"), entry.get("mtime_ns"), entry.get("seconds")
        if not isinstance(size, int) or not isinstance(mtime_ns, int):
            continue
        values = {
            "path": str(media_path),
            "size": size,
            "mtime_ns": mtime_ns,
            "seconds": float(seconds) if isinstance(seconds, int | float) else None,
        }
        count += insert_new(connection, schema.media_facts, values, ["path"])
    return count


_Reader = Callable[[Path], Any]
_Importer = Callable[[Connection, Path, Any], int]
# Source name (a LegacySources field) -> (reader, importer), in import order.
# A reader returns None when its file does not exist.
IMPORTERS: dict[str, tuple[_Reader, _Importer]] = {
    "ingest_runs": (_read, _ingest_runs),
    "deliveries": (_read, _deliveries),
    "reconcile_results": (_read, _reconcile),
    "projects": (_read, _projects),
    "media_durations": (_read, _media_durations),
    "render_jobs": (read_render_history, import_render_jobs),
}


def import_legacy(engine: Engine, sources: LegacySources) -> list[ImportReport]:
    """Import every source not imported before into this database."""
    reports = []
    for name, (reader, importer) in IMPORTERS.items():
        path: Path | None = getattr(sources, name)
        if path is None:
            continue
        with locked_transaction(engine) as connection:
            done = connection.scalar(
                select(schema.imports.c.name).where(schema.imports.c.name == name)
            )
            if done is not None:
                reports.append(ImportReport(name, str(path), 0, True, False))
                continue
            try:
                data = reader(path)
            except ConfigError:
                if name != "media_durations":
                    raise
                data = {}
            count = importer(connection, path, data) if data is not None else 0
            upsert(
                connection,
                schema.imports,
                {
                    "name": name,
                    "source": str(path),
                    "imported_at": datetime.now(UTC).isoformat(timespec="seconds"),
                    "counts": {"records": count, "missing": data is None},
                },
                ["name"],
            )
            reports.append(ImportReport(name, str(path), count, False, data is None))
    return reports


def imports_done(engine: Engine) -> list[dict[str, Any]]:
    table = schema.imports
    with reading(engine) as connection:
        rows = connection.execute(select(table).order_by(table.c.name)).all()
    return [
        {"name": r.name, "source": r.source, "imported_at": r.imported_at, **dict(r.counts)}
        for r in rows
    ]
