"""``onepiece ingest FOLDER`` (also ``onepiece aws ingest``): the main job.

Parses flags, calls ``services.ingest``, renders progress (stderr) and the
summary (stdout). Exit codes: 0 when nothing was invalid or failed; 4 invalid
files or manifest rows; 5 checksum mismatch; 6 version conflict or tracker
failure; 7 transfer failure; 130 interrupted (docs/cli_walkthroughs.md).
"""

from __future__ import annotations

import signal
import sys
from enum import StrEnum
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

import typer

from onepiece.cli import exit_codes
from onepiece.cli.aws import aws_app
from onepiece.cli.context import (
    OutputFormat,
    config,
    container,
    emit_json,
    exit_code_for,
    handle_errors,
    printable,
)

if TYPE_CHECKING:
    from onepiece.services.ingest.service import IngestResult


class Source(StrEnum):
    vendor = "vendor"
    client = "client"


class ReportFormat(StrEnum):
    json = "json"
    csv = "csv"


class Checksum(StrEnum):
    xxh3 = "xxh3"
    md5 = "md5"
    sha256 = "sha256"


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest)
    aws_app.command("ingest")(ingest)


@handle_errors
def ingest(
    ctx: typer.Context,
    folder: Path = typer.Argument(..., help="The delivery folder (never modified)."),
    project: str | None = typer.Option(
        None, "--project", "-p", help="Tracker project (default: project from the profile)."
    ),
    show_code: str | None = typer.Option(
        None, "--show-code", "-s", help="Show code names must carry (default: show_code)."
    ),
    source: Source = typer.Option(
        Source.vendor, "--source", help="Who delivered: vendor or client."
    ),
    vendor_bucket: str | None = typer.Option(
        None, "--vendor-bucket", help="Bucket for vendor deliveries (ingest.vendor_bucket)."
    ),
    client_bucket: str | None = typer.Option(
        None, "--client-bucket", help="Bucket for client deliveries (ingest.client_bucket)."
    ),
    manifest: Path | None = typer.Option(
        None, "--manifest", help="CSV or JSON manifest; every file must be listed in it."
    ),
    mhl: Path | None = typer.Option(
        None,
        "--mhl",
        help="ASC MHL (v2 generation or v1) to verify against; by default the folder's "
        "ascmhl/ history or its *.mhl files.",
    ),
    mhl_out: bool = typer.Option(
        False, "--mhl-out", help="Record what was stored as a new ASC MHL generation (docs/mhl.md)."
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Validate and plan only; write nothing but the report."
    ),
    report_path: Path | None = typer.Option(
        None, "--report-path", help="Write one row per file (status, checksum, key, reason)."
    ),
    report_format: ReportFormat | None = typer.Option(
        None, "--report-format", help="json or csv (default: from the report file's suffix)."
    ),
    workers: int | None = typer.Option(
        None,
        "--workers",
        min=1,
        max=64,
        help="Parallel transfers. Default: one per CPU between local disks, four per CPU "
        "when the delivery or the storage is on a network filesystem, eight per CPU to S3.",
    ),
    checksum: Checksum | None = typer.Option(
        None, "--checksum", help="Algorithm recorded for each file (default xxh3)."
    ),
    resume: bool = typer.Option(
        True, "--resume/--no-resume", help="Skip files already stored and verified."
    ),
    follow_symlinks: bool = typer.Option(
        False, "--follow-symlinks", help="Ingest symlinks pointing outside the folder."
    ),
    output: OutputFormat = typer.Option(
        OutputFormat.text, "--format", help="Summary as text or json."
    ),
    review_media: bool | None = typer.Option(
        None,
        "--review-media/--no-review-media",
        help="Make thumbnails and review movies once stored (default: review_media.enabled).",
    ),
) -> None:
    """Validate a delivery, checksum every file, upload it and register its Versions.

    Names follow SHOW_EPISODE_SCENE_SHOT_ASSET_vNNN.ext (frame files
    ...vNNN.1001.exr become one Version per sequence). Re-running the same
    command resumes: only what is missing or unverified is sent, and no Version
    is registered twice. Exit codes: 0 all good, 4 invalid input, 5 checksum
    mismatch, 6 version conflict or tracker failure, 7 transfer failure.
    """
    from onepiece.services.ingest.options import options_from_settings
    from onepiece.services.ingest.service import run_ingest

    overrides: dict[str, Any] = {
        "project": project,
        "show_code": show_code,
        "ingest.vendor_bucket": vendor_bucket,
        "ingest.client_bucket": client_bucket,
        "ingest.workers": workers,
        "ingest.checksum": checksum.value if checksum else None,
    }
    settings = config(ctx, **overrides).settings
    options = options_from_settings(
        settings,
        folder.absolute(),
        source=source.value,
        manifest=manifest.absolute() if manifest else None,
        dry_run=dry_run,
        resume=resume,
        follow_symlinks=follow_symlinks,
        report_path=report_path.absolute() if report_path else None,
        report_format=report_format.value if report_format else None,
        mhl=mhl.absolute() if mhl else None,
        mhl_out=mhl_out,
    )
    services = container(ctx)
    with _display(quiet=dry_run) as events, _sigterm_interrupts():
        result = run_ingest(options, services, services.ingest_runs, events)
    if review_media is None:
        review_media = settings.review_media.enabled
    if review_media and not dry_run and not result.interrupted:
        from onepiece.cli.review import after_ingest

        # Only after the run is recorded: review media never change its outcome.
        result.extra["review_media"] = after_ingest(container(ctx), settings, result)
    if output is OutputFormat.json:
        emit_json({**result.summary(), **result.extra})
    else:
        _print_summary(result)
    if result.interrupted:
        raise typer.Exit(exit_codes.INTERRUPTED)
    if result.error is not None:
        typer.echo(f"error: {result.error.message}", err=True)
        raise typer.Exit(exit_code_for(result.error))


def _display(*, quiet: bool) -> Any:
    from onepiece.cli.ingest_progress import progress_display

    return progress_display(interactive=sys.stderr.isatty(), quiet=quiet)


class _sigterm_interrupts:  # noqa: N801 - used as a context manager
    """SIGTERM stops the run like Ctrl-C: recorded as cancelled, report written."""

    def __enter__(self) -> None:
        def interrupt(signum: int, frame: FrameType | None) -> None:
            raise KeyboardInterrupt

        self._previous = signal.signal(signal.SIGTERM, interrupt)

    def __exit__(self, *exc: object) -> None:
        signal.signal(signal.SIGTERM, self._previous)


def _print_summary(result: IngestResult) -> None:
    data = result.summary()
    counts = data["counts"]

    def echo(line: str) -> None:  # names come from the delivery: one line each
        typer.echo(printable(line))

    where = f"{data['bucket']} (project {data['project']})"
    if data["dry_run"]:
        echo(f"dry run of {data['folder']} -> {where}: nothing was written")
        echo(
            f"  would ingest {counts['versions_planned']} version(s), "
            f"{counts['files_planned']} file(s), {_size(counts['bytes_planned'])}"
        )
        echo(f"  invalid: {counts['invalid']}, ignored: {counts['ignored']}")
    else:
        echo(f"ingest {data['run_id']} of {data['folder']} -> {where}: {data['status']}")
        echo(
            f"  versions: {counts['registered']} registered, {counts['existing']} already "
            f"registered, {counts['conflicts']} conflict(s), {counts['versions_failed']} failed"
        )
        echo(
            f"  files: {counts['uploaded']} uploaded, {counts['skipped']} skipped (already "
            f"present and verified), {counts['invalid']} invalid, {counts['mismatched']} "
            f"checksum mismatch(es), {counts['failed']} failed, {counts['ignored']} ignored"
        )
        if counts["cancelled"]:
            echo(f"  {counts['cancelled']} file(s) not sent: interrupted (run again to resume)")
    for warning in data["warnings"]:
        echo(f"  warning: {warning}")
    for problem in data["problems"]:
        echo(f"  {problem['status']}: {problem['path']}: {problem['reason']}")
    if data["report_path"]:
        echo(f"  report: {data['report_path']}")
    for outcome in result.extra.get("review_media", []):
        if outcome["status"] != "made":
            problems = "; ".join(outcome["problems"]) or "not made"
            echo(f"  review media {outcome['status']}: {outcome['version']}: {problems}")


def _size(count: int) -> str:
    value = float(count)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.1f} {unit}" if unit != "B" else f"{count} B"
        value /= 1024
    return f"{count} B"
