"""The state database's administration: status, upgrade (migrations, then the
one-time import of older files) and the ingest-run export.

``onepiece db`` and ``onepiece runs export`` call these and only render what
they return; each opens its own engine and disposes of it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from onepiece.config import Settings

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine


_DAMAGED_HINT = "restore the file from backup or move it aside (a new one is then created)"
_AWAY_HINT = "check ONEPIECE_DATABASE_URL and that the database server is running"


def _status(engine: Engine, settings: Settings) -> dict[str, Any]:
    from onepiece.state.db.engine import database_absent, describe, reading
    from onepiece.state.db.health import ACCESS_HINT, access_problem, check_health
    from onepiece.state.db.legacy import imports_done, imports_pending
    from onepiece.state.db.migrate import describe_revisions, schema_state, upgrade_plan

    body: dict[str, Any] = {"database": describe(engine.url), "backend": engine.dialect.name}
    if database_absent(engine.url):  # status and --dry-run must not create it
        ok, reason = True, "ok"
        current, head, pending, known, done = None, *upgrade_plan(), True, []
        waiting = imports_pending(None, settings)
    else:
        ok, reason = check_health(engine)
        if not ok:
            access = access_problem(engine)
            if access is not None:  # the file may be whole: not damage
                reason = f"state database {body['database']} {access}"
            damaged = engine.dialect.name == "sqlite" and access is None
            hint = ACCESS_HINT if access is not None else _DAMAGED_HINT if damaged else _AWAY_HINT
            return {**body, "healthy": False, "reason": reason, "damaged": damaged, "hint": hint}
        with reading(engine) as connection:
            state = schema_state(connection)
        current, head, pending, known = state.current, state.head, state.pending, state.known
        current_schema = known and not pending  # else the imports table may not be there
        done = imports_done(engine) if current_schema else []
        waiting = imports_pending(engine if current_schema else None, settings) if known else []
    return {
        **body,
        "healthy": ok,
        "reason": reason,
        "current": current,
        "head": head,
        "known": known,
        "pending": describe_revisions(pending),
        "imports_done": done,
        "imports_pending": waiting,
    }


def status(settings: Settings) -> dict[str, Any]:
    """Health, schema revision, pending migrations and imports; never creates the database."""
    from onepiece.state.db.engine import engine_for

    engine = engine_for(settings)
    try:
        return _status(engine, settings)
    finally:
        engine.dispose()


def upgrade(settings: Settings, *, dry_run: bool = False) -> dict[str, Any]:
    """Migrate to the newest schema, then import older files once.

    With ``dry_run`` nothing changes: the answer is the status (when the
    database is damaged or too new, with ``healthy``/``known`` false) or the
    pending migrations and imports.
    """
    from onepiece.state.db.engine import describe, engine_for
    from onepiece.state.db.legacy import LegacySources
    from onepiece.state.db.migrate import describe_revisions
    from onepiece.state.db.startup import prepare

    engine = engine_for(settings)
    try:
        if dry_run:
            body = _status(engine, settings)
            if not body["healthy"] or not body["known"]:
                return body
            return {
                "database": body["database"],
                "dry_run": True,
                "pending": body["pending"],
                "imports_pending": body["imports_pending"],
            }
        prepared = prepare(engine, LegacySources.from_settings(settings))
        return {
            "database": describe(engine.url),
            "dry_run": False,
            "applied": describe_revisions(prepared.applied),
            "imports": [report.__dict__ for report in prepared.imports],
        }
    finally:
        engine.dispose()


def export_runs(settings: Settings) -> dict[str, Any]:
    """Every ingest run, oldest first, in the documented file format (docs/ingest_runs.md).

    The database is prepared as any command's first use of it prepares it
    (checked, migrated, earlier files imported once), so an export right after
    an upgrade from the JSON files already holds their runs.
    """
    from onepiece.state.db.wiring import StateStores
    from onepiece.state.ingest_runs import FORMAT

    stores = StateStores(settings)
    try:
        runs = stores.run_registry().runs()
    finally:
        stores.close()
    return {"format": FORMAT, "runs": runs}


def check_export_target(path: Path) -> None:
    """Refuse (``ValidationError``, exit 4) a folder or a place that cannot be written."""
    from onepiece.atomicio import check_writable

    check_writable(path)


def write_export(path: Path, document: dict[str, Any]) -> None:
    """Write an export atomically (temp file, fsync, rename)."""
    from onepiece.atomicio import write_json

    write_json(path, document)
