"""``onepiece aws sync-to`` and ``sync-from``: folder sync with S3 through s5cmd."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from onepiece.cli import exit_codes
from onepiece.cli.aws import aws_app
from onepiece.cli.context import OutputFormat, config, emit_json, handle_errors


def register(app: typer.Typer) -> None:
    aws_app.command("sync-to")(sync_to)
    aws_app.command("sync-from")(sync_from)


BUCKET = typer.Option(..., "--bucket", "-b", help="S3 bucket.")
SHOW = typer.Option(..., "--show-code", "-s", help="Show code: the top prefix in the bucket.")
FOLDER = typer.Option(..., "--folder", "-f", help="Folder under the show (and under --local-path).")
LOCAL = typer.Option(..., "--local-path", help="Local root holding FOLDER.")
INCLUDE = typer.Option([], "--include", help="Only paths matching this glob (repeat).")
EXCLUDE = typer.Option([], "--exclude", help="Skip paths matching this glob (repeat).")
DRY = typer.Option(False, "--dry-run", help="Show what would be transferred.")
PROFILE = typer.Option(None, "--profile", help="AWS profile for s5cmd (sets AWS_PROFILE).")
FORMAT = typer.Option(OutputFormat.text, "--format", help="text or json.")


def _run(ctx: typer.Context, direction: str, output: OutputFormat, **options: Any) -> None:
    from onepiece.services.sync.s3 import SyncRequest, run_sync

    settings = config(ctx).settings
    request = SyncRequest(direction=direction, **options)
    verb = "upload" if direction == "to" else "download"

    def on_event(event: dict[str, Any]) -> None:
        if event.get("success"):
            mark = "would " + verb if request.dry_run else verb
            typer.echo(f"{mark}: {event.get('source')} -> {event.get('destination')}", err=True)
        elif event.get("operation") == "cp" and event.get("error"):
            typer.echo(f"failed: {event.get('command')}: {event.get('error')}", err=True)

    summary = run_sync(request, settings, on_event=on_event)
    label = "uploaded" if direction == "to" else "downloaded"
    data = {
        "direction": direction,
        "dry_run": request.dry_run,
        label: len(summary.transferred),
        **summary.counts(),
        "empty_source": summary.empty_source,
        "files": summary.transferred,
        "skipped_files": summary.skipped,
        "failures": summary.failed,
        "errors": summary.errors,
        "reason": _reason(summary),
        "hint": summary.hint,
    }
    if output is OutputFormat.json:
        emit_json(data)
    else:
        prefix = "dry run: would have " if request.dry_run else ""
        line = (
            f"{prefix}{label} {len(summary.transferred)}, skipped {len(summary.skipped)}, "
            f"failed {len(summary.failed)} ({summary.bytes} bytes)"
        )
        if data["reason"]:
            line += f": {data['reason']}" + (f" (hint: {summary.hint})" if summary.hint else "")
        typer.echo(line)
    if not summary.ok:
        raise typer.Exit(exit_codes.STORAGE)


def _reason(summary: Any) -> str | None:
    """Why the sync failed, in one line: the run's error, else the files' distinct errors."""
    from onepiece.cli.context import one_line

    reasons = list(dict.fromkeys([*summary.errors, *(f["error"] for f in summary.failed)]))
    if not reasons:
        return None
    more = f" (+{len(reasons) - 1} other errors)" if len(reasons) > 1 else ""
    return one_line(reasons[0]) + more


@handle_errors
def sync_to(
    ctx: typer.Context,
    bucket: str = BUCKET,
    show_code: str = SHOW,
    folder: str = FOLDER,
    local_path: Path = LOCAL,
    include: list[str] = INCLUDE,
    exclude: list[str] = EXCLUDE,
    dry_run: bool = DRY,
    profile: str | None = PROFILE,
    output: OutputFormat = FORMAT,
) -> None:
    """Upload LOCAL_PATH/FOLDER to s3://BUCKET/SHOW/FOLDER (only what changed).

    Exit 0 when every file transferred or was already up to date, 7 when any
    failed. The endpoint comes from storage.endpoint_url.
    """
    _run(
        ctx,
        "to",
        output,
        bucket=bucket,
        show_code=show_code,
        folder=folder,
        local_path=local_path,
        include=include,
        exclude=exclude,
        dry_run=dry_run,
        profile=profile,
    )


@handle_errors
def sync_from(
    ctx: typer.Context,
    bucket: str = BUCKET,
    show_code: str = SHOW,
    folder: str = FOLDER,
    local_path: Path = LOCAL,
    include: list[str] = INCLUDE,
    exclude: list[str] = EXCLUDE,
    dry_run: bool = DRY,
    profile: str | None = PROFILE,
    output: OutputFormat = FORMAT,
) -> None:
    """Download s3://BUCKET/SHOW/FOLDER into LOCAL_PATH/FOLDER (only what changed).

    Exit 0 when every file transferred or was already up to date, 7 when any
    failed. The endpoint comes from storage.endpoint_url.
    """
    _run(
        ctx,
        "from",
        output,
        bucket=bucket,
        show_code=show_code,
        folder=folder,
        local_path=local_path,
        include=include,
        exclude=exclude,
        dry_run=dry_run,
        profile=profile,
    )
