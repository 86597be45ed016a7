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

    Reads the state database (run `onepiece db upgrade` first). Exit codes: 0
    on success, 3 when the state database is damaged, unreachable or not at
    this OnePiece's schema.
    """
    from onepiece.atomicio import write_json
    from onepiece.state.db.engine import database_absent, describe, engine_for
    from onepiece.state.db.errors import SchemaOutdated
    from onepiece.state.db.health import ensure_healthy
    from onepiece.state.db.migrate import check_schema
    from onepiece.state.db.records import SqlIngestRunStore
    from onepiece.state.ingest_runs import FORMAT

    engine = engine_for(config(ctx).settings)
    try:
        if database_absent(engine.url):  # not created by an export
            raise SchemaOutdated(
                f"no state database at {describe(engine.url)} yet",
                hint="run: onepiece db upgrade",
            )
        ensure_healthy(engine)
        check_schema(engine, require_current=True)
        runs = SqlIngestRunStore(engine).runs()
    finally:
        engine.dispose()
    document = {"format": FORMAT, "runs": runs}
    if output is None:
        emit_json(document)
        return
    write_json(output, document)
    typer.echo(f"exported {len(runs)} run(s) to {output}", err=True)
