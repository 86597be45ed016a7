"""``onepiece render``: submit and follow render jobs.

Without ``--server`` the commands work against the farms directly: the local
farm renders on this machine and the job history file is shared with the web
service. With ``--server URL`` they go through a running Trafalgar (token from
``--token`` or TRAFALGAR_DASHBOARD_TOKEN; never printed).
"""

from __future__ import annotations

import os
import sys
import time
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
)

if TYPE_CHECKING:
    from onepiece.cli.render_backends import LocalRender
    from onepiece.web.client import RemoteRender

render_app = typer.Typer(
    name="render",
    help="Submit, list, follow and cancel render jobs; list farms.",
    no_args_is_help=True,
)

SERVER = typer.Option(
    None, "--server", help="Trafalgar URL (e.g. http://127.0.0.1:8000); default: farms directly."
)
TOKEN = typer.Option(
    None,
    "--token",
    help="Bearer token for --server (default: TRAFALGAR_DASHBOARD_TOKEN). Never printed.",
)
FORMAT = typer.Option(OutputFormat.text, "--format", help="text or json.")
FINISHED = ("succeeded", "failed", "cancelled")


def register(app: typer.Typer) -> None:
    app.add_typer(render_app)


def _backend(
    ctx: typer.Context, server: str | None, token: str | None
) -> LocalRender | RemoteRender:
    from onepiece.cli.render_backends import LocalRender
    from onepiece.web.client import RemoteRender

    settings = config(ctx).settings
    if server:
        secret = settings.trafalgar.dashboard_token or settings.trafalgar.read_token
        backend = RemoteRender(server, token or (secret.get_secret_value() if secret else None))
        ctx.call_on_close(backend.close)
        return backend
    return LocalRender(container(ctx).render_jobs, settings.render.default_farm)


def _job_line(job: dict[str, Any]) -> str:
    counts = job["frame_counts"]
    return (
        f"{job['id']}  {job['status']:<9}  {job['farm']:<8}  {job['dcc']:<8}  "
        f"{job['frames']:<16}  {counts['succeeded']}/{counts['total']} frames  "
        f"{job['submitted_at'][:19]}"
    )


def _show_job(job: dict[str, Any], output: OutputFormat) -> None:
    if output is OutputFormat.json:
        emit_json(job)
        return
    typer.echo(_job_line(job))
    if job.get("message"):
        typer.echo(f"  {job['message']}")


def _follow(backend: LocalRender | RemoteRender, job: dict[str, Any]) -> dict[str, Any]:
    """Poll until the job finishes. Ctrl-C stops following, not the job: say so."""
    try:
        return _poll(backend, job)
    except KeyboardInterrupt:
        raise fail(
            f"stopped following job {job['id']}; it keeps running on {job['farm']}",
            exit_codes.INTERRUPTED,
            f"`onepiece render cancel {job['id']}` stops it",
        ) from None


def _poll(backend: LocalRender | RemoteRender, job: dict[str, Any]) -> dict[str, Any]:
    """Poll until the job finishes; progress to stderr (a bar on a terminal)."""
    if sys.stderr.isatty():
        from rich.console import Console
        from rich.progress import Progress

        with Progress(console=Console(stderr=True), transient=True) as progress:
            task = progress.add_task(f"job {job['id']}", total=job["frame_counts"]["total"])
            while job["status"] not in FINISHED:
                time.sleep(0.5)
                job = backend.get(job["id"])
                progress.update(task, completed=job["frame_counts"]["succeeded"])
        return job
    last = None
    while job["status"] not in FINISHED:
        time.sleep(0.5)
        job = backend.get(job["id"])
        line = f"job {job['id']}: {job['status']} {job['progress']}%"
        if line != last:
            typer.echo(line, err=True)
            last = line
    return job


def _exit_for(job: dict[str, Any]) -> None:
    if job["status"] in ("failed", "cancelled"):
        raise typer.Exit(exit_codes.FARM)


@render_app.command("submit")
@handle_errors
def submit(
    ctx: typer.Context,
    dcc: str = typer.Option(..., "--dcc", help="builtin, blender, maya, nuke, houdini, katana..."),
    scene: str = typer.Option(
        ..., "--scene", help="Scene file to render (a relative path is made absolute)."
    ),
    frames: str = typer.Option(..., "--frames", help="Frame set, e.g. 1-100 or 1-100,120-130x2."),
    output: str = typer.Option(
        ..., "--output", help="Output path, #### becomes the frame (made absolute, like --scene)."
    ),
    farm: str | None = typer.Option(None, "--farm", help="Farm (default: render.default_farm)."),
    priority: int = typer.Option(50, "--priority", help="Priority within the farm's range."),
    chunk_size: int | None = typer.Option(
        None, "--chunk-size", min=1, help="Frames per task (default: render.default_chunk_size)."
    ),
    user: str | None = typer.Option(None, "--user", help="Who the job is for."),
    wait: bool = typer.Option(False, "--wait", help="Follow the job until it finishes."),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Validate and show the chunks (and commands) without submitting."
    ),
    server: str | None = SERVER,
    token: str | None = TOKEN,
    fmt: OutputFormat = FORMAT,
) -> None:
    """Submit a render job. Exit 4 for bad input, 8 when the farm refuses it.

    With --wait, follows the job and exits 8 if it fails or is cancelled.
    """
    body = {
        "dcc": dcc,
        "scene": _absolute(scene),
        "frames": frames,
        "output": _absolute(output),
        "farm": farm,
        "priority": priority,
        "chunk_size": chunk_size,
        "user": user,
    }
    backend = _backend(ctx, server, token)
    if dry_run:
        body["chunk_size"] = chunk_size or config(ctx).settings.render.default_chunk_size
        _dry_run(backend, body, fmt)
        return
    job = backend.submit(body)
    if fmt is OutputFormat.text:
        typer.echo(f"submitted job {job['id']} to {job['farm']} ({job['farm_job_id']})")
    if wait:
        job = _follow(backend, job)
    if fmt is OutputFormat.json:
        emit_json(job)
    elif wait:
        _show_job(job, fmt)
    if wait:
        _exit_for(job)


def _absolute(path: str) -> str:
    """A relative path made absolute here: a server or a farm's hosts has another cwd.

    Paths with a colon (``C:/shows/...``, ``s3://...``) are another machine's or
    a URI: passed on untouched.
    """
    return path if os.path.isabs(path) or ":" in path else os.path.abspath(path)


def _dry_run(backend: LocalRender | RemoteRender, body: dict[str, Any], fmt: OutputFormat) -> None:
    from onepiece.cli.render_backends import LocalRender
    from onepiece.domain.frames import chunk_frames, parse_frames

    if isinstance(backend, LocalRender):
        plan = backend.plan(body)
    else:  # the server validates the rest when it is really submitted
        frames = parse_frames(body["frames"])
        chunks = chunk_frames(frames, body["chunk_size"])
        plan = {
            "farm": body["farm"] or "(server default)",
            "frame_count": len(frames),
            "chunks": [{"index": c.index, "frames": c.frame_set} for c in chunks],
        }
    if fmt is OutputFormat.json:
        emit_json({"dry_run": True, **plan})
        return
    typer.echo(f"dry run: {plan['frame_count']} frames in {len(plan['chunks'])} chunks")
    for chunk in plan["chunks"]:
        argv = chunk.get("argv")
        typer.echo(f"  {chunk['frames']}" + (f": {' '.join(argv)}" if argv else ""))


@render_app.command("list")
@handle_errors
def list_jobs(
    ctx: typer.Context,
    status: str | None = typer.Option(
        None, "--status", help="queued, running, succeeded, failed or cancelled."
    ),
    farm: str | None = typer.Option(None, "--farm", help="Only jobs on this farm."),
    limit: int = typer.Option(50, "--limit", min=1, max=1000, help="At most this many."),
    server: str | None = SERVER,
    token: str | None = TOKEN,
    fmt: OutputFormat = FORMAT,
) -> None:
    """Render jobs, newest first."""
    if status and status not in ("queued", "running", *FINISHED):
        from onepiece.errors import ValidationError

        raise ValidationError(
            f"unknown status {status!r}", hint="queued, running, " + ", ".join(FINISHED)
        )
    jobs = _backend(ctx, server, token).list_jobs(status=status, farm=farm, limit=limit)
    if fmt is OutputFormat.json:
        emit_json({"jobs": jobs})
        return
    if not jobs:
        typer.echo("no render jobs")
    for job in jobs:
        typer.echo(_job_line(job))


@render_app.command("status")
@handle_errors
def status(
    ctx: typer.Context,
    job_id: str = typer.Argument(..., help="Job id (from submit or list)."),
    wait: bool = typer.Option(False, "--wait", help="Follow the job until it finishes."),
    server: str | None = SERVER,
    token: str | None = TOKEN,
    fmt: OutputFormat = FORMAT,
) -> None:
    """One job's status and frame progress. With --wait, exit 8 if it fails or is cancelled."""
    backend = _backend(ctx, server, token)
    job = backend.get(job_id)
    if wait:
        job = _follow(backend, job)
    _show_job(job, fmt)
    if wait:
        _exit_for(job)


@render_app.command("cancel")
@handle_errors
def cancel(
    ctx: typer.Context,
    job_id: str = typer.Argument(..., help="Job id to cancel."),
    reason: str | None = typer.Option(None, "--reason", help="Recorded with the job."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show the job; cancel nothing."),
    server: str | None = SERVER,
    token: str | None = TOKEN,
    fmt: OutputFormat = FORMAT,
) -> None:
    """Cancel a job on its farm (the local farm kills its renderer processes)."""
    backend = _backend(ctx, server, token)
    if dry_run:
        job = backend.get(job_id)
        if fmt is OutputFormat.text:
            typer.echo(f"dry run: would cancel job {job_id} ({job['status']})")
        _show_job(job, fmt)
        return
    _show_job(backend.cancel(job_id, reason or "cancelled from the CLI"), fmt)


@render_app.command("farms")
@handle_errors
def farms(
    ctx: typer.Context,
    server: str | None = SERVER,
    token: str | None = TOKEN,
    fmt: OutputFormat = FORMAT,
) -> None:
    """Configured farms: capabilities, or why a farm is unavailable."""
    data = _backend(ctx, server, token).farms()
    if fmt is OutputFormat.json:
        emit_json(data)
        return
    for farm in data["farms"]:
        marker = "*" if farm["name"] == data["default"] else " "
        if farm["available"]:
            typer.echo(
                f"{marker} {farm['name']:<8} priority {farm['priority_min']}-{farm['priority_max']}"
                f"  {farm['description']}"
            )
        else:
            typer.echo(f"{marker} {farm['name']:<8} unavailable: {farm['message']}")
