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


@validate_app.command("mhl")
@handle_errors
def mhl(
    folder: Path = typer.Argument(..., help="The folder the ASC MHL describes (never modified)."),
    mhl_file: Path | None = typer.Option(
        None, "--mhl", help="An MHL file (v2 generation or v1); default: the folder's ascmhl/."
    ),
    output: ReportFormat = typer.Option(
        ReportFormat.text, "--format", help="text (a table), json or csv."
    ),
) -> None:
    """Verify a folder against its ASC MHL history; exit 10 when files differ.

    The chain is checked first (a generation altered after it was written
    exits 5), then every listed file is hashed in the list's own format.
    Reports files missing, mismatched, or not listed (docs/mhl.md).
    """
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

    from onepiece.services.mhl import verify as mhl_verify

    root, source = mhl_verify.plan(folder.absolute(), mhl_file.absolute() if mhl_file else None)
    columns = (BarColumn(), DownloadColumn(), TransferSpeedColumn())
    console = Console(stderr=True)
    with Progress(
        *columns, console=console, transient=True, disable=not console.is_terminal
    ) as bar:
        task = bar.add_task("verify", total=mhl_verify.total_size(root, source))
        result = mhl_verify.verify(root, source, lambda count: bar.advance(task, count))
    rows = [d.to_dict() for d in result.differences]
    keys = ["kind", "path", "detail"]
    if output is ReportFormat.json:
        emit_json(
            {
                "folder": str(folder),
                "mhl": result.source,
                "checked": result.checked,
                "bytes": result.size,
                "differences": rows,
            }
        )
    elif output is ReportFormat.csv:
        print_csv(keys, [[r[k] for k in keys] for r in rows])
    elif rows:
        print_table(
            f"{folder}: {len(rows)} differences", keys, [[r[k] for k in keys] for r in rows]
        )
    else:
        typer.echo(f"{folder}: {result.checked} file(s) match {result.source}")
    if rows:
        raise typer.Exit(exit_codes.DIFFERENCES)
