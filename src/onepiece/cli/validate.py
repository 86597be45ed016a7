"""``onepiece validate``: consistency checks across tracker, storage and manifests."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from enum import StrEnum
from pathlib import Path

import typer

from onepiece.cli import exit_codes
from onepiece.cli.context import (
    container,
    emit_json,
    handle_errors,
    project_option,
    resolve_project,
)
from onepiece.cli.tables import byte_progress, print_csv, print_table

validate_app = typer.Typer(
    rich_markup_mode=None,
    name="validate",
    help="Consistency checks: tracker vs storage vs manifests.",
    no_args_is_help=True,
)


class Scope(StrEnum):
    versions = "versions"
    shots = "shots"


class ReportFormat(StrEnum):
    text = "text"  # a table
    table = "table"  # the same, by its older name
    json = "json"
    csv = "csv"


@contextlib.contextmanager
def _no_progress() -> Iterator[tuple[Callable[[int], None], Callable[[str], None]]]:
    yield (lambda _n: None), (lambda _name: None)


def register(app: typer.Typer) -> None:
    app.add_typer(validate_app, name="validate")


@validate_app.command("reconcile")
@handle_errors
def reconcile(
    ctx: typer.Context,
    project: str | None = project_option(),
    scope: Scope = typer.Option(Scope.versions, "--scope", help="versions or shots."),
    manifests: list[Path] = typer.Option(
        [], "--manifest", help="Upstream manifest (CSV/JSON) to compare too (repeat)."
    ),
    output: ReportFormat = typer.Option(
        ReportFormat.text, "--format", help="text (a table), json or csv."
    ),
    verify: bool = typer.Option(
        False, "--verify", help="Re-hash every tracked stored file (reads all the media)."
    ),
) -> None:
    """Compare tracker, storage and manifests; exit 10 when they differ.

    Reports files missing from storage, stored files that are not what the
    tracker recorded (mismatch: size, changed outside OnePiece, or with
    --verify their re-hashed bytes), objects the tracker does not know, stray
    files no OnePiece write made (unexpected), and checksum mismatches
    (tracker or manifest against the stored metadata); with --scope shots,
    shots without media and shot folders the tracker lacks.
    """
    from onepiece.domain.reconcile import summarise
    from onepiece.services.reconcile.service import reconcile as run
    from onepiece.services.reconcile.service import record_result

    project = resolve_project(ctx, project)
    services = container(ctx)
    with byte_progress("verify", None) if verify else _no_progress() as (advance, on_item):
        differences = run(
            services.tracker,
            services.storage,
            services.settings,
            project,
            scope=scope.value,
            manifests=manifests,
            verify=verify,
            progress=advance,
            on_file=on_item,
        )
    record_result(services.reconcile_results, project, scope.value, differences)
    rows = [d.to_dict() for d in differences]
    columns = ["kind", "subject", "location", "detail"]
    if output is ReportFormat.json:
        emit_json(
            {
                "project": project,
                "scope": scope.value,
                "summary": summarise(differences),
                "differences": rows,
            }
        )
    elif output is ReportFormat.csv:
        print_csv(columns, [[r[c] for c in columns] for r in rows])
    elif rows:
        print_table(
            f"{project}: {len(rows)} differences", columns, [[r[c] for c in columns] for r in rows]
        )
    else:
        typer.echo(f"{project}: tracker and storage agree ({scope.value})")
    if differences:
        raise typer.Exit(exit_codes.DIFFERENCES)
