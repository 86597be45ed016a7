"""``onepiece db``: the state database's schema and the one-time import of old files."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from onepiece.cli import exit_codes
from onepiece.cli.context import OutputFormat, config, emit_json, handle_errors

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

db_app = typer.Typer(
    name="db",
    help="The state database: show its schema status, upgrade it and import old files.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(db_app)


def _status(engine: Engine) -> dict[str, Any]:
    from onepiece.state.db.engine import database_absent, describe, reading
    from onepiece.state.db.health import check_health
    from onepiece.state.db.legacy import IMPORTERS, imports_done
    from onepiece.state.db.migrate import describe_revisions, schema_state, upgrade_plan

    body: dict[str, Any] = {"database": describe(engine.url), "backend": engine.dialect.name}
    if database_absent(engine.url):  # status and --dry-run must not create it
        ok, reason = True, "ok"
        current, head, pending, known, done = None, *upgrade_plan(), True, []
    else:
        ok, reason = check_health(engine)
        if not ok:
            return {**body, "healthy": False, "reason": reason}
        with reading(engine) as connection:
            state = schema_state(connection)
        current, head, pending, known = state.current, state.head, state.pending, state.known
        done = imports_done(engine) if known and not pending else []
    imported = {entry["name"] for entry in done}
    return {
        **body,
        "healthy": ok,
        "reason": reason,
        "current": current,
        "head": head,
        "known": known,
        "pending": describe_revisions(pending),
        "imports_done": done,
        "imports_pending": [name for name in IMPORTERS if name not in imported],
    }


def _print_status(body: dict[str, Any]) -> None:
    typer.echo(f"database: {body['database']} ({body['backend']})")
    if not body["healthy"]:
        typer.echo(f"  DAMAGED: {body['reason']}")
        return
    if not body["known"]:
        typer.echo(f"  schema {body['current']} is newer than this OnePiece (up to {body['head']})")
        return
    typer.echo(f"  schema: {body['current'] or 'empty'} (newest known: {body['head']})")
    for item in body["pending"]:
        typer.echo(f"  pending: {item['revision']} {item['description']}")
    for entry in body["imports_done"]:
        typer.echo(
            f"  imported {entry['name']}: {entry['records']} record(s) from {entry['source']}"
            f" at {entry['imported_at']}"
        )
    if body["imports_pending"]:
        typer.echo(f"  to import on upgrade: {', '.join(body['imports_pending'])}")


@db_app.command("status")
@handle_errors
def status(
    ctx: typer.Context,
    output: OutputFormat = typer.Option(OutputFormat.text, "--format", help="text or json."),
) -> None:
    """Show the state database, its schema revision, pending migrations and imports.

    Exit codes: 0 when the database is whole and its schema known (pending
    migrations included), 3 when it is damaged, unreachable or newer than
    this OnePiece.
    """
    from onepiece.state.db.engine import engine_for

    engine = engine_for(config(ctx).settings)
    try:
        body = _status(engine)
    finally:
        engine.dispose()
    if output is OutputFormat.json:
        emit_json(body)
    else:
        _print_status(body)
    if not body["healthy"] or not body["known"]:
        raise typer.Exit(exit_codes.CONFIG)


@db_app.command("upgrade")
@handle_errors
def upgrade(
    ctx: typer.Context,
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Show the pending migrations and imports; change nothing."
    ),
    output: OutputFormat = typer.Option(OutputFormat.text, "--format", help="text or json."),
) -> None:
    """Bring the state database to the newest schema, then import old files once.

    Creates the database when it does not exist (SQLite: <data_dir>/state.db).
    The files earlier versions wrote (ingest runs, deliveries, reconcile
    results, dashboard projects, media durations) are read, never changed.
    Exit codes: 0 on success, 3 when the database is damaged, unreachable,
    newer than this OnePiece, or an old file cannot be parsed.
    """
    from onepiece.state.db.engine import engine_for
    from onepiece.state.db.legacy import LegacySources
    from onepiece.state.db.migrate import describe_revisions
    from onepiece.state.db.startup import prepare

    settings = config(ctx).settings
    engine = engine_for(settings)
    try:
        if dry_run:
            body = _status(engine)
            if not body["healthy"] or not body["known"]:
                emit_json(body) if output is OutputFormat.json else _print_status(body)
                raise typer.Exit(exit_codes.CONFIG)
            result: dict[str, Any] = {
                "database": body["database"],
                "dry_run": True,
                "pending": body["pending"],
                "imports_pending": body["imports_pending"],
            }
        else:
            prepared = prepare(engine, LegacySources.from_settings(settings))
            result = {
                "database": _describe(engine),
                "dry_run": False,
                "applied": describe_revisions(prepared.applied),
                "imports": [report.__dict__ for report in prepared.imports],
            }
    finally:
        engine.dispose()
    if output is OutputFormat.json:
        emit_json(result)
    else:
        _print_upgrade(result)


def _describe(engine: Engine) -> str:
    from onepiece.state.db.engine import describe

    return describe(engine.url)


def _print_upgrade(result: dict[str, Any]) -> None:
    if result["dry_run"]:
        typer.echo(f"database: {result['database']} (dry run: nothing changed)")
        for item in result["pending"]:
            typer.echo(f"  would apply {item['revision']}: {item['description']}")
        if not result["pending"]:
            typer.echo("  schema up to date")
        for name in result["imports_pending"]:
            typer.echo(f"  would import {name} (once)")
        return
    typer.echo(f"database: {result['database']}")
    for item in result["applied"]:
        typer.echo(f"  applied {item['revision']}: {item['description']}")
    if not result["applied"]:
        typer.echo("  schema up to date")
    for report in result["imports"]:
        if report["already_done"]:
            continue
        if report["missing"]:
            typer.echo(f"  {report['name']}: no file at {report['source']}, nothing to import")
        else:
            count, name = report["imported"], report["name"]
            typer.echo(f"  imported {count} {name} record(s) from {report['source']}")
