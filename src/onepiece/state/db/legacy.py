"""Carry over the files earlier versions wrote, once per database.

Each source (ingest run registry, delivery registry, reconcile results, the
dashboard project registry, the media-duration cache, the render job history)
is imported in one transaction together with its row in ``imports``, so it is
imported exactly once even when several processes start together (SQLite
queues writers; on PostgreSQL an advisory lock does). The files are only
read, never changed or removed.

One rule for every source: a file that cannot be parsed at all (not JSON, not
UTF-8, not the expected shape, another format) stops the import with one line
naming it, and nothing of it is imported; in a file that parses, each record
is checked first (``legacy_checks``) and one that is not valid is skipped,
counted and named in the report (``ImportReport.skipped``/``skip_reasons``,
the ``imports`` row, one log line), never written and never silently dropped,
so nothing imported can break an API answer later. The media cache is only a
cache: unreadable, it imports as empty (reported the same way).
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.engine import Connection, Engine

from onepiece.errors import ConfigError
from onepiece.state.db import schema
from onepiece.state.db.caches import PROJECTS_SYNCED_AT
from onepiece.state.db.engine import describe, reading
from onepiece.state.db.import_ledger import imported, record
from onepiece.state.db.legacy_checks import (
    BadRecord,
    Skipped,
    delivery_row_of,
    insert_valid,
    label,
    media_of,
    moment,
    project_of,
    result_of,
    run_row_of,
    show,
)
from onepiece.state.db.legacy_render import import_render_jobs, read_render_history
from onepiece.state.db.migrate import locked_transaction
from onepiece.state.db.sql import insert_new

if TYPE_CHECKING:
    from onepiece.config.model import Settings

log = logging.getLogger(__name__)
_HINT = "restore it from backup or move it aside, then run: onepiece db upgrade"


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
    skipped: int = 0  # records of the file left out (not valid, duplicates)
    skip_reasons: tuple[str, ...] = ()  # the first reasons, each naming its record


class _Unparsable(Exception):
    """The file as a whole cannot be read as its format (why, without the path)."""


def _parse(path: Path) -> Any | None:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise _Unparsable(f"cannot be read ({exc.strerror or exc})") from exc
    except UnicodeDecodeError as exc:
        raise _Unparsable(f"is not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    try:
        return json.loads(text)
    except ValueError as exc:
        raise _Unparsable(f"is not valid JSON ({exc})") from exc
    except RecursionError as exc:  # "[[[[..." deeper than the parser goes
        raise _Unparsable("is not valid JSON (nested too deeply)") from exc


def _stop(path: Path, why: str) -> ConfigError:
    return ConfigError(f"{path} {why}: it cannot be imported into the state database", hint=_HINT)


def _read(path: Path) -> Any | None:
    try:
        return _parse(path)
    except _Unparsable as exc:
        raise _stop(path, str(exc)) from exc


@dataclass(frozen=True)
class _Unreadable:
    why: str


def _read_cache(path: Path) -> Any | None:
    """The media cache is only a cache: unreadable, it imports as empty (reported)."""
    try:
        return _parse(path)
    except _Unparsable as exc:
        return _Unreadable(str(exc))


def _records(path: Path, data: Any, key: str, kind: type) -> Any:
    value = data.get(key) if isinstance(data, dict) else None
    if not isinstance(value, kind):
        noun = "list" if kind is list else "table"
        raise _stop(path, f"has no {key!r} {noun}")
    return value


def _format(path: Path, data: Any, key: str) -> None:
    """Earlier versions wrote format 1 (or nothing): another one is not theirs to guess at."""
    version = data.get(key, 1) if isinstance(data, dict) else 1
    if type(version) is not int or version != 1:
        raise _stop(path, f"is in {key} {show(version)}, not the {key} 1 this OnePiece reads")


def _listed(records: list[Any]) -> list[tuple[str, Any]]:
    return [(label(record, n), record) for n, record in enumerate(records, 1)]


def _ingest_runs(connection: Connection, path: Path, data: Any, skipped: Skipped) -> int:
    _format(path, data, "format")
    runs = _records(path, data, "runs", list)
    return insert_valid(connection, schema.ingest_runs, ["id"], _listed(runs), run_row_of, skipped)


def _deliveries(connection: Connection, path: Path, data: Any, skipped: Skipped) -> int:
    records = _listed(_records(path, data, "deliveries", list))
    return insert_valid(connection, schema.deliveries, ["id"], records, delivery_row_of, skipped)


def _reconcile(connection: Connection, path: Path, data: Any, skipped: Skipped) -> int:
    entries = [(f"entry {show(k)}", v) for k, v in _records(path, data, "projects", dict).items()]
    keys = ["project", "scope"]
    return insert_valid(connection, schema.reconcile_results, keys, entries, result_of, skipped)


def _projects(connection: Connection, path: Path, data: Any, skipped: Skipped) -> int:
    _format(path, data, "version")
    rows = _listed(_records(path, data, "projects", list))
    count = insert_valid(connection, schema.projects, ["code"], rows, project_of, skipped)
    try:
        synced = moment(data, "synced_at", required=False)
    except BadRecord as exc:  # the projects stand without it: the next sync sets it
        skipped.add("synced_at", f"{exc}; left unset until the next tracker sync")
        synced = None
    insert_new(connection, schema.state_meta, {"key": PROJECTS_SYNCED_AT, "value": synced}, ["key"])
    return count


def _media_durations(connection: Connection, path: Path, data: Any, skipped: Skipped) -> int:
    if isinstance(data, _Unreadable) or not isinstance(data, dict):
        why = data.why if isinstance(data, _Unreadable) else "is not a table of clips"
        skipped.note(f"the file {why}; imported as empty (it is only a cache)")
        return 0
    entries = [(f"entry {show(k)}", (k, v)) for k, v in data.items()]
    return insert_valid(connection, schema.media_facts, ["path"], entries, media_of, skipped)


_Reader = Callable[[Path], Any]
_Importer = Callable[[Connection, Path, Any, Skipped], int]
# Source name (a LegacySources field) -> (reader, importer), in import order.
# A reader returns None when its file does not exist, and raises ConfigError
# (one line naming the file) when the file cannot be parsed at all.
IMPORTERS: dict[str, tuple[_Reader, _Importer]] = {
    "ingest_runs": (_read, _ingest_runs),
    "deliveries": (_read, _deliveries),
    "reconcile_results": (_read, _reconcile),
    "projects": (_read, _projects),
    "media_durations": (_read_cache, _media_durations),
    "render_jobs": (read_render_history, import_render_jobs),
}


def import_legacy(engine: Engine, sources: LegacySources) -> list[ImportReport]:
    """Import every source not imported before into this database."""
    reports = []
    for name, path, state in _look(engine, sources):
        if state != "waiting":  # nothing to carry over yet (looked for again next time), or done
            reports.append(ImportReport(name, str(path), 0, state == "done", state == "missing"))
            continue
        reader, importer = IMPORTERS[name]
        report = _import(engine, name, path, reader, importer)
        if report.skip_reasons:  # said once, after its transaction committed
            more = "; ..." if report.skipped > len(report.skip_reasons) else ""
            log.warning(
                "state database %s: %s from %s: imported %d record(s), skipped %d (%s%s)",
                describe(engine.url), name, path, report.imported, report.skipped,
                "; ".join(report.skip_reasons), more,
            )  # fmt: skip
        reports.append(report)
    return reports


def _import(
    engine: Engine, name: str, path: Path, reader: _Reader, importer: _Importer
) -> ImportReport:
    with locked_transaction(engine) as connection:
        if imported(connection, name, path):  # another process got there first
            return ImportReport(name, str(path), 0, True, False)
        data = reader(path)
        if data is None:  # removed since the look above
            return ImportReport(name, str(path), 0, False, True)
        skipped = Skipped()
        count = importer(connection, path, data, skipped)
        counts = {
            "records": count,
            "missing": False,
            "skipped": skipped.count,
            "skip_reasons": skipped.reasons,
        }
        record(connection, name, path, counts)
    reasons = tuple(skipped.reasons)
    return ImportReport(name, str(path), count, False, False, skipped.count, reasons)


def imports_done(engine: Engine) -> list[dict[str, Any]]:
    table = schema.imports
    with reading(engine) as connection:
        rows = connection.execute(select(table).order_by(table.c.name)).all()
    return [
        {"name": r.name, "source": r.source, "imported_at": r.imported_at, **dict(r.counts)}
        for r in rows
    ]


def imports_pending(engine: Engine | None, settings: Settings) -> list[str]:
    """The sources whose file exists on this host and is not imported yet
    (``engine`` None: a database not created yet, where every such file is)."""
    looked = _look(engine, LegacySources.from_settings(settings))
    return [name for name, _, state in looked if state == "waiting"]


def _look(engine: Engine | None, sources: LegacySources) -> list[tuple[str, Path, str]]:
    """Each configured source's file: ``missing``, ``done`` or ``waiting`` (to
    import), the ledger read in one transaction without the write lock, so the
    usual case (everything imported) never queues behind a writer."""
    configured = [(name, getattr(sources, name)) for name in IMPORTERS]
    found = [(name, path) for name, path in configured if path is not None]
    looked = []
    with reading(engine) if engine is not None else contextlib.nullcontext() as connection:
        for name, path in found:
            if not path.exists():
                state = "missing"
            elif connection is not None and imported(connection, name, path):
                state = "done"
            else:
                state = "waiting"
            looked.append((name, path, state))
    return looked
