"""``onepiece shotgrid templates save|apply``: a project's tree to a file and back."""

from __future__ import annotations

from pathlib import Path

import typer

from onepiece.cli.context import (
    OutputFormat,
    container,
    emit_json,
    handle_errors,
    project_option,
    resolve_project,
)
from onepiece.cli.shotgrid_progress import SetupProgress
from onepiece.cli.shotgrid_setup import finish

templates_app = typer.Typer(
    rich_markup_mode=None,
    name="templates",
    help="Save a project's entity tree as JSON/YAML, or replay one onto another project.",
    no_args_is_help=True,
)


def register(group: typer.Typer) -> None:
    templates_app.command("save")(save)
    templates_app.command("apply")(apply)
    group.add_typer(templates_app, name="templates")


@handle_errors
def save(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="Output file: .json, .yaml or .yml."),
    project: str | None = project_option(
        "Project code to save (default: project in onepiece.toml)."
    ),
    output: OutputFormat = typer.Option(OutputFormat.text, "--format", help="text or json."),
) -> None:
    """Write the project's episodes, sequences, shots and assets to FILE.

    The format follows the extension. Asset links and task templates are
    included where the tracker has them (ShotGrid). The file is written
    atomically: an interrupted save leaves any previous file intact.
    """
    from onepiece.services.show.templates import save_tree

    code = resolve_project(ctx, project)
    saved = save_tree(container(ctx).tracker, code, file)
    if output is OutputFormat.json:
        emit_json({"project": code, **saved.to_dict()})
        return
    counts = ", ".join(f"{n} {kind}" for kind, n in saved.counts.items())
    links = "with asset links and task templates" if saved.links else "without asset links"
    typer.echo(f"saved {code} to {file}: {counts} ({links})")


@handle_errors
def apply(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="A tree written by `templates save` (.json/.yaml)."),
    project: str = typer.Option(
        ..., "--project", "-p", help="Target project code (created if missing)."
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Report what would be created; write nothing."
    ),
    output: OutputFormat = typer.Option(OutputFormat.text, "--format", help="text or json."),
) -> None:
    """Replay a saved tree onto PROJECT, creating only what is missing, in batches.

    Episodes or sequences without shots and assets linked to no shot cannot be
    replayed through the tracker port; they are listed as skipped.
    """
    from onepiece.services.show.templates import apply_tree

    tracker = container(ctx).tracker
    with SetupProgress(None) as progress:
        applied = apply_tree(tracker, file, project, dry_run=dry_run, progress=progress)
    data = {**applied.to_dict(), "tracker": tracker.name}
    extra = [f"skipped: {item}" for item in applied.skipped]
    finish(applied.summary, output, data, extra)
