"""``onepiece shotgrid show-setup``: create a show's hierarchy from a CSV."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from onepiece.cli import exit_codes
from onepiece.cli.context import (
    OutputFormat,
    config,
    container,
    emit_json,
    fail,
    handle_errors,
    project_option,
    resolve_project,
)
from onepiece.cli.shotgrid_progress import SetupProgress

if TYPE_CHECKING:
    from onepiece.services.show.setup import SetupSummary

KIND_NAMES = {"Episode": "episode", "Sequence": "sequence", "Shot": "shot", "Asset": "asset"}


def register(group: typer.Typer) -> None:
    group.command("show-setup")(show_setup)


def _plural(count: int, kind: str) -> str:
    name = KIND_NAMES.get(kind, kind.lower())
    return f"{count} {name}{'' if count == 1 else 's'}"


def print_summary(summary: SetupSummary, extra: list[str] | None = None) -> None:
    """Text summary on stdout: created, existing and failed per kind."""
    verb = "would create" if summary.dry_run else "created"
    project_line = f"project {summary.project}"
    if summary.project_created:
        project_line += " (would be created)" if summary.dry_run else " (created)"
    typer.echo(project_line)
    for label, bucket in ((verb, summary.created), ("existing", summary.existing)):
        counts = summary.counts(bucket)
        typer.echo(f"{label}: " + ", ".join(_plural(n, kind) for kind, n in counts.items()))
    typer.echo(f"failed: {len(summary.failed)}")
    for key, reason in summary.failed.items():
        typer.echo(f"  {key}: {reason}")
    for line in extra or []:
        typer.echo(line)


def finish(
    summary: SetupSummary,
    output: OutputFormat,
    data: dict[str, Any],
    extra_lines: list[str] | None = None,
) -> None:
    """Render the result; exit 6 when some entities failed."""
    if output is OutputFormat.json:
        emit_json(data)
    else:
        print_summary(summary, extra_lines)
    if summary.failed:
        raise fail(
            f"{len(summary.failed)} entit{'y' if len(summary.failed) == 1 else 'ies'} "
            "could not be created; fix them and run the same command again",
            exit_codes.TRACKER,
        )


def report_invalid(errors: list[Any], output: OutputFormat) -> None:
    """Every bad row: JSON on stdout, or one line each on stderr."""
    if output is OutputFormat.json:
        emit_json({"ok": False, "errors": [{"line": e.line, "message": e.message} for e in errors]})
    else:
        for error in errors:
            typer.echo(str(error), err=True)


@handle_errors
def show_setup(
    ctx: typer.Context,
    csv_file: Path = typer.Argument(
        ...,
        metavar="CSV",
        help="Columns: episode, sequence (or scene), shot; optional asset, cut_in, "
        "cut_out, description, status, task_template.",
    ),
    project: str | None = project_option(
        "Project code, created if missing (default: project in onepiece.toml)."
    ),
    template: str | None = typer.Option(
        None,
        "--template",
        "-t",
        help="Setup template NAME from <data dir>/templates (or a .yaml/.json path).",
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Validate and report what would be created; write nothing."
    ),
    update: bool = typer.Option(
        False,
        "--update",
        help="Apply the differences found on existing shots (cut_in, cut_out, status, "
        "description); without it they are only reported.",
    ),
    output: OutputFormat = typer.Option(OutputFormat.text, "--format", help="text or json."),
) -> None:
    """Create a show's episodes, sequences, shots and assets from a CSV.

    The whole file is validated first; any bad row (listed with its line number)
    means nothing is created (exit 4). Then only what is missing is created, in
    bulk, so running it again creates nothing. Progress goes to stderr, the
    summary (created, existing, failed) to stdout. Existing shots whose cut
    range, status or description differ from the CSV are listed (field, old ->
    new); --update applies them (--dry-run only shows them). Exit 6 if the
    tracker refused some entities.
    """
    from onepiece.errors import ValidationError
    from onepiece.services.show import setup as service

    settings = config(ctx).settings
    code = resolve_project(ctx, project)
    setup_template = (
        service.load_template(template, settings.data_dir / "templates") if template else None
    )
    plan = service.read_plan(csv_file, status_map=settings.status_map, template=setup_template)
    if not plan.valid:
        report_invalid(plan.errors, output)
        raise ValidationError(
            f"{csv_file}: {len(plan.errors)} problem(s); nothing was created",
            hint="fix the rows listed above and run again",
        )
    tracker = container(ctx).tracker
    with SetupProgress(len(plan.shots)) as progress:
        summary = service.run_show_setup(
            tracker, code, plan, dry_run=dry_run, update=update, progress=progress
        )
    data = {**summary.to_dict(), "tracker": tracker.name, "shots": len(plan.shots)}
    if setup_template is not None:
        data["template"] = setup_template.name
    finish(summary, output, data, difference_lines(summary, update=update))


def difference_lines(summary: SetupSummary, *, update: bool) -> list[str]:
    """``differences: N (...)`` then one line per changed field: kind, code, field, old -> new."""
    changes = summary.differences
    if not changes:
        return []
    if summary.dry_run:
        state = "would be updated" if update else "not applied: dry run"
    else:
        state = "updated" if summary.updated else "not applied: rerun with --update"
    return [f"differences: {len(changes)} ({state})", *(f"  {c.line()}" for c in changes)]
