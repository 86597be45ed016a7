"""``onepiece dcc``: publish a DCC's outputs and open shots in their DCC."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer

from onepiece.cli.context import OutputFormat, config, container, emit_json, handle_errors

dcc_app = typer.Typer(
    rich_markup_mode=None,
    name="dcc",
    help="Publish DCC outputs; open shots in their DCC.",
    no_args_is_help=True,
)


class ShowType(StrEnum):
    vfx = "vfx"
    prod = "prod"


def register(app: typer.Typer) -> None:
    app.add_typer(dcc_app, name="dcc")


@dcc_app.command("publish")
@handle_errors
def publish(
    ctx: typer.Context,
    dcc: str = typer.Option(
        ..., "--dcc", help="maya, nuke, houdini, blender, katana, mari, unreal."
    ),
    scene_name: str = typer.Option(
        ..., "--scene-name", help="SEQUENCE_SHOT_TASK_vNNN, e.g. seq010_sh010_lighting_v002."
    ),
    renders: Path = typer.Option(..., "--renders", help="Folder of rendered frames."),
    previews: Path = typer.Option(..., "--previews", help="Preview movie (the reviewable)."),
    otio: Path = typer.Option(..., "--otio", help="OpenTimelineIO file for editorial."),
    metadata: Path = typer.Option(..., "--metadata", help="JSON object (user, description, ...)."),
    destination: Path = typer.Option(..., "--destination", help="Folder to build the package in."),
    bucket: str = typer.Option(..., "--bucket", help="Bucket to upload the package to."),
    show_code: str | None = typer.Option(
        None,
        "--show-code",
        "-s",
        help="Show code, the top prefix in the bucket (default: show_code).",
    ),
    show_type: ShowType = typer.Option(..., "--show-type", help="vfx or prod."),
    project: str | None = typer.Option(
        None, "--project", "-p", help="Tracker project (default: configured project or show code)."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Validate and plan, write nothing."),
    output: OutputFormat = typer.Option(OutputFormat.text, "--format", help="text or json."),
    review_media: bool | None = typer.Option(
        None,
        "--review-media/--no-review-media",
        help="Make a thumbnail and review movie of the preview (default: review_media.enabled).",
    ),
) -> None:
    """Validate, package, upload and register a DCC publish; prints the package path."""
    from onepiece.errors import ValidationError
    from onepiece.services.dcc.publish import PublishRequest
    from onepiece.services.dcc.publish import publish as run

    show_code = show_code or config(ctx).settings.show_code
    if not show_code:
        raise ValidationError(
            "no show code given", hint="pass --show-code or set show_code in onepiece.toml"
        )
    request = PublishRequest(
        dcc=dcc,
        scene_name=scene_name,
        renders=renders,
        previews=previews,
        otio=otio,
        metadata=metadata,
        destination=destination,
        bucket=bucket,
        show_code=show_code,
        show_type=show_type.value,
        project=project,
        dry_run=dry_run,
    )
    result = run(
        container(ctx), request, on_file=lambda name: typer.echo(f"package: {name}", err=True)
    )
    settings = config(ctx).settings
    review: list[dict[str, object]] | None = None
    if not dry_run and (settings.review_media.enabled if review_media is None else review_media):
        from onepiece.cli.review import after_publish

        review = after_publish(container(ctx), settings, result)
    if output is OutputFormat.json:
        emit_json({**result.to_dict(), **({"review_media": review} if review is not None else {})})
        return
    if dry_run:
        typer.echo(f"dry run: would package {len(result.files)} files", err=True)
    else:
        typer.echo(f"registered {result.version}; uploaded {len(result.uploaded)} files", err=True)
    typer.echo(str(result.package))


@dcc_app.command("open-shot")
@handle_errors
def open_shot(
    ctx: typer.Context,
    shot: Path = typer.Option(..., "--shot", help="Scene file to open."),
    dcc: str | None = typer.Option(None, "--dcc", help="DCC to use (default: from the extension)."),
    output: OutputFormat = typer.Option(OutputFormat.text, "--format", help="text or json."),
) -> None:
    """Open a scene in its DCC (from the extension or --dcc), detached from this terminal.

    The executable comes from [dcc.executables] in onepiece.toml, else PATH.
    """
    from onepiece.services.dcc.launch import open_shot as run

    launched = run(shot, config(ctx).settings, dcc)
    if output is OutputFormat.json:
        emit_json(launched.__dict__)
        return
    typer.echo(
        f"opened {launched.scene} in {launched.dcc} ({launched.executable}, pid {launched.pid})"
    )
