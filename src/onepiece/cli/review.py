"""``onepiece review``: review media (thumbnails and review movies) of Versions.

``rebuild`` makes them again from the stored media; ingest and ``dcc
publish`` make them on their own (``--no-review-media`` skips). A Version
whose media cannot be made is reported, one line each; the exit code is 0
only when every Version got all its review media, else 4 (invalid input: the
media could not be read), and never a traceback.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from onepiece.cli import exit_codes
from onepiece.cli.context import (
    OutputFormat,
    config,
    container,
    emit_json,
    handle_errors,
    resolve_project,
)

if TYPE_CHECKING:
    from onepiece.services.review_media.worker import ReviewOutcome

review_app = typer.Typer(
    rich_markup_mode=None,
    name="review",
    help="Review media: rebuild the thumbnails and review movies of Versions.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(review_app, name="review")


def report_line(outcome: ReviewOutcome, done: int, total: int) -> str:
    line = f"review media {done}/{total}: {outcome.code}: {outcome.status}"
    if outcome.problems:
        line += f" ({'; '.join(outcome.problems)})"
    return line


def progress_printer(total: int, *, quiet: bool = False) -> Any:
    """A progress callback printing one stderr line per Version as it ends (any thread)."""
    import threading

    lock = threading.Lock()
    done = 0

    def show(outcome: ReviewOutcome) -> None:
        nonlocal done
        with lock:
            done += 1
            if not quiet:
                typer.echo(report_line(outcome, done, total), err=True)

    return show


@review_app.command("rebuild")
@handle_errors
def rebuild(
    ctx: typer.Context,
    versions: list[str] = typer.Argument(..., help="Version codes to rebuild."),
    project: str | None = typer.Option(
        None, "--project", "-p", help="Tracker project (default: project in onepiece.toml)."
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Show what would be rebuilt from where; make nothing."
    ),
    output: OutputFormat = typer.Option(OutputFormat.text, "--format", help="text or json."),
) -> None:
    """Make the thumbnail and review movie of Versions again, from their stored media."""
    from onepiece.services.review_media import rebuild as service
    from onepiece.services.review_media.options import options_from_settings

    chosen = resolve_project(ctx, project)
    services = container(ctx)
    targets = service.plan_rebuild(chosen, versions, services.tracker, services.storage)
    if dry_run:
        planned = [
            {"version": t.version.code, "bucket": t.bucket, "source": t.key, "kind": t.kind}
            for t in targets
        ]
        if output is OutputFormat.json:
            emit_json({"project": chosen, "dry_run": True, "versions": planned})
        else:
            for item in planned:
                typer.echo(
                    f"would rebuild {item['version']} from {item['bucket']}/{item['source']}"
                )
        return
    options = options_from_settings(config(ctx).settings)
    outcomes = service.rebuild(
        targets,
        services.storage,
        services.tracker,
        options,
        progress_printer(len(targets), quiet=output is OutputFormat.json),
    )
    if output is OutputFormat.json:
        emit_json(
            {"project": chosen, "dry_run": False, "versions": [o.to_dict() for o in outcomes]}
        )
    else:
        for outcome in outcomes:
            typer.echo(f"{outcome.code}: {outcome.status} {outcome.proxy or ''}".rstrip())
    if any(o.status != "made" for o in outcomes):
        raise typer.Exit(exit_codes.VALIDATION)


def after_ingest(services: Any, settings: Any, result: Any) -> list[dict[str, Any]]:
    """Review media for an ingest's stored Versions; outcomes as dicts (never raises ours)."""
    from onepiece.errors import OnePieceError
    from onepiece.services.review_media.ingest import jobs_for_ingest
    from onepiece.services.review_media.options import options_from_settings
    from onepiece.services.review_media.worker import run_jobs

    options = options_from_settings(settings)
    try:
        jobs = jobs_for_ingest(result, services.storage, options)
    except OnePieceError as exc:  # the ingest itself is done: report, never fail it
        return [{"version": None, "status": "failed", "problems": [exc.message]}]
    if jobs:
        typer.echo(f"review media: {len(jobs)} version(s)", err=True)
    outcomes = run_jobs(
        jobs, services.storage, services.tracker, options, progress_printer(len(jobs))
    )
    return [outcome.to_dict() for outcome in outcomes]


def after_publish(services: Any, settings: Any, result: Any) -> list[dict[str, Any]]:
    """Review media of a ``dcc publish``'s preview (the reviewable), from its package."""
    from onepiece.services.review_media.ingest import publish_job
    from onepiece.services.review_media.options import options_from_settings
    from onepiece.services.review_media.worker import run_jobs

    options = options_from_settings(settings)
    job = publish_job(result, options)
    if job is None:
        return []
    outcomes = run_jobs([job], services.storage, services.tracker, options, progress_printer(1))
    return [outcome.to_dict() for outcome in outcomes]
