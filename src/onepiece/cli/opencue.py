"""``onepiece opencue status``: the OpenCue render queue, as the dashboard sees it."""

from __future__ import annotations

from typing import Any

import typer

from onepiece.cli import exit_codes
from onepiece.cli.context import OutputFormat, container, emit_json, handle_errors

opencue_app = typer.Typer(
    name="opencue",
    help="OpenCue render farm: queue status (submit with the render commands).",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(opencue_app)


def _print_text(body: dict[str, Any]) -> None:
    summary = body["summary"]
    state = "available" if body["available"] else "unavailable"
    if not body["enabled"]:
        state = "not configured"
    typer.echo(f"OpenCue: {state}")
    if body["message"]:
        typer.echo(f"  {body['message']}")
    if body["available"]:
        counts = ", ".join(f"{name} {summary[name]}" for name in summary)
        typer.echo(f"  jobs: {counts} (as of {body['last_updated']})")
    for job in body.get("jobs", []):
        frames = job["frames"]
        hosts = ",".join(job["hosts"]) or "-"
        typer.echo(
            f"  {job['status']:<8} {job['name']}  frames {frames['succeeded']}/{frames['total']}"
            f" done, {frames['running']} running, {frames['dead']} dead  user {job['user']}"
            f"  hosts {hosts}"
        )


@opencue_app.command("status")
@handle_errors
def status(
    ctx: typer.Context,
    details: bool = typer.Option(
        False, "--details", help="One line per job: status, frames, user and hosts."
    ),
    output: OutputFormat = typer.Option(OutputFormat.text, "--format", help="text or json."),
) -> None:
    """Summarise the OpenCue queue for the configured show (OPENCUE_DEFAULT_SHOW).

    Prints the same report as GET /render/opencue/summary (or /details).
    Exit codes: 0 when Cuebot answered, 3 when OpenCue is not configured or
    OPENCUE_HOSTS is malformed, 8 when Cuebot is unreachable, too slow, the
    show is unknown or the client library is missing.
    """
    service = container(ctx).opencue_status  # one query; the container closes it
    report = service.details() if details else service.summary()
    body = report.as_dict(details=details)
    if output is OutputFormat.json:
        emit_json(body)
    else:
        _print_text(body)
    if report.problem == "config":
        raise typer.Exit(exit_codes.CONFIG)
    if report.problem is not None:
        raise typer.Exit(exit_codes.FARM)
