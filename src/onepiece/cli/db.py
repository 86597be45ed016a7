"""``onepiece db``: the state database's schema and the one-time import of old files."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from onepiece.cli import exit_codes
from onepiece.cli.context import OutputFormat, config, emit_json, handle_errors

if TYPE_CHECKING:
    pass

db_app = typer.Typer(
    name="db",
    help="The state database: show its schema status, upgrade it and import old files.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(db_app)


def _refused(body: dict[str, Any]) -> typer.Exit:
    """The report stays on stdout; the refusal is also one line on stderr, as any
    command's error is, for scripts and logs that only keep stderr."""
    from onepiece.cli.context import fail

    if not body["healthy"]:
        return fail(body["reason"], exit_codes.CONFIG, body.get("hint"))
    return fail(
        f"state database {body['database']} has schema revision {body['current']}, "
        f"newer than this OnePiece knows (up to {body['head']})",
        exit_codes.CONFIG,
        "upgrade OnePiece on this machine, or point ONEPIECE_DATABASE_URL elsewhere",
    )


def _print_status(body: dict[str, Any]) -> None:
    typer.echo(f"database: {body['database']} ({body['backend']})")
    if not body["healthy"]:
        # A SQLite file that cannot be read is damaged; a server that does not
        # answer is only away (nothing to restore from a backup).
        state = "DAMAGED" if body.get("damaged") else "UNAVAILABLE"
        typer.echo(f"  {state}: {body['reason']}")
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
    from onepiece.services import database

    body = database.status(config(ctx).settings)
    if output is OutputFormat.json:
        emit_json(body)
    else:
        _print_status(body)
    if not body["healthy"] or not body["known"]:
        raise _refused(body)


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
    from onepiece.services import database

    result = database.upgrade(config(ctx).settings, dry_run=dry_run)
    if not result.get("healthy", True) or not result.get("known", True):  # dry run, refused
        emit_json(result) if output is OutputFormat.json else _print_status(result)
        raise _refused(result)
    if output is OutputFormat.json:
        emit_json(result)
    else:
        _print_upgrade(result)


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
            skipped = report.get("skipped") or 0
            left_out = f", skipped {skipped} not valid (named on stderr)" if skipped else ""
            typer.echo(f"  imported {count} {name} record(s) from {report['source']}{left_out}")
