"""``onepiece runs export``: ingest runs from the state database, in the documented file format."""

from __future__ import annotations

from pathlib import Path

import typer

from onepiece.cli.context import config, emit_json, handle_errors

runs_app = typer.Typer(
    name="runs",
    help="Ingest runs in the state database: export them in the documented format.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(runs_app)


@runs_app.command("export")
@handle_errors
def export(
    ctx: typer.Context,
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write this file (atomically) instead of stdout."
    ),
) -> None:
    """Export every ingest run, oldest first, as docs/ingest_runs.md describes.

    Reads the state database, preparing it first like any command (runs kept
    in an earlier version's ingest-runs.json are imported once). Exit codes: 0
    on success, 3 when the state database is damaged, unreachable or newer
    than this OnePiece, 4 when --output names a folder or a place that cannot
    be written.
    """
    from onepiece.services.database import check_export_target, export_runs, write_export

    if output is not None:
        check_export_target(output)  # a folder or an unwritable place: exit 4, before any read
    document = export_runs(config(ctx).settings)
    runs = document["runs"]
    if output is None:
        emit_json(document)
        return
    write_export(output, document)
    typer.echo(f"exported {len(runs)} run(s) to {output}", err=True)
