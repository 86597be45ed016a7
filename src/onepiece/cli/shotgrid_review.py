"""``onepiece shotgrid versions`` and ``playlists``: review on any tracker."""

from __future__ import annotations

import typer

from onepiece.cli.context import (
    OutputFormat,
    TableFormat,
    container,
    emit_json,
    handle_errors,
    project_option,
    resolve_project,
)
from onepiece.cli.tables import print_table

versions_app = typer.Typer(
    rich_markup_mode=None, help="List Versions and set their review status.", no_args_is_help=True
)
playlists_app = typer.Typer(
    rich_markup_mode=None, help="Playlists of Versions for review.", no_args_is_help=True
)

PROJECT = project_option()
DRY_RUN = typer.Option(False, "--dry-run", help="Check the names, change nothing.")
LISTING = typer.Option(TableFormat.text, "--format", help="text (a table) or json.")


def register(group: typer.Typer) -> None:
    group.add_typer(versions_app, name="versions")
    group.add_typer(playlists_app, name="playlists")


@versions_app.command("list")
@handle_errors
def versions_list(
    ctx: typer.Context,
    project: str | None = PROJECT,
    status: str | None = typer.Option(
        None, "--status", help="Raw status (apr) or canonical bucket (approved)."
    ),
    episodes: list[str] = typer.Option([], "--episode", help="Only these episodes (repeat)."),
    output: TableFormat = LISTING,
) -> None:
    """List a project's Versions, optionally only those in one status bucket."""
    from onepiece.services.delivery.paths import check_episodes
    from onepiece.services.review.versions import version_row

    project = resolve_project(ctx, project)
    services = container(ctx)
    services.tracker.get_project(project)
    if episodes:  # a typo is named, not answered with an empty list
        check_episodes(services.tracker, project, episodes)
    versions = services.tracker.list_versions(project, status=status, episodes=episodes or None)
    rows = [version_row(v, services.settings.status_map) for v in versions]
    if output is TableFormat.json:
        emit_json({"project": project, "versions": rows})
        return
    columns = ["code", "status", "bucket", "episode", "shot", "frames", "size"]
    print_table(
        f"{project}: {len(rows)} versions", columns, [[r[c] for c in columns] for r in rows]
    )


@versions_app.command("set-status")
@handle_errors
def versions_set_status(
    ctx: typer.Context,
    codes: list[str] = typer.Argument(..., help="Version codes."),
    project: str | None = PROJECT,
    status: str = typer.Option(..., "--status", help="Status code to set, e.g. apr, rev, ip."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check the codes, change nothing."),
    output: OutputFormat = typer.Option(OutputFormat.text, "--format", help="text or json."),
) -> None:
    """Set the review status of one or more Versions (all must exist)."""
    from onepiece.services.review.versions import check_status, check_versions_exist, set_status

    project = resolve_project(ctx, project)
    services = container(ctx)
    status_map = services.settings.status_map
    bucket = check_status(status, status_map)
    if dry_run:
        check_versions_exist(services.tracker, project, codes)
        updated_codes = list(dict.fromkeys(codes))
    else:
        updated = set_status(services.tracker, project, codes, status, status_map)
        updated_codes = [v.code for v in updated]
    if output is OutputFormat.json:
        emit_json(
            {
                "project": project,
                "status": status,
                "bucket": bucket,
                "versions": updated_codes,
                "dry_run": dry_run,
            }
        )
        return
    verb = "would set" if dry_run else "set"
    for code in updated_codes:
        typer.echo(f"{verb} {code} -> {status} ({bucket})")


@playlists_app.command("create")
@handle_errors
def playlists_create(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Playlist name (code)."),
    project: str | None = PROJECT,
    description: str | None = typer.Option(None, "--description", help="Free text."),
    versions: list[str] = typer.Option([], "--version", help="Version code to add (repeat)."),
    dry_run: bool = DRY_RUN,
    output: OutputFormat = typer.Option(OutputFormat.text, "--format", help="text or json."),
) -> None:
    """Create a playlist (idempotent), optionally with Versions."""
    from onepiece.services.review.versions import create_playlist, playlist_row

    project = resolve_project(ctx, project)
    services = container(ctx)
    playlist, created = create_playlist(
        services.tracker, project, name, description, versions, dry_run=dry_run
    )
    if output is OutputFormat.json:
        row = playlist_row(playlist)
        emit_json({"project": project, "created": created, "dry_run": dry_run, **row})
        return
    state = ("would be created" if dry_run else "created") if created else "exists"
    typer.echo(f"playlist {playlist.code} {state} ({len(playlist.versions)} versions)")


@playlists_app.command("add")
@handle_errors
def playlists_add(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Playlist name (code)."),
    codes: list[str] = typer.Argument(..., help="Version codes to add."),
    project: str | None = PROJECT,
    dry_run: bool = DRY_RUN,
    output: OutputFormat = typer.Option(OutputFormat.text, "--format", help="text or json."),
) -> None:
    """Add Versions to a playlist (already present ones are kept once)."""
    from onepiece.services.review.versions import add_to_playlist, playlist_row

    project = resolve_project(ctx, project)
    services = container(ctx)
    playlist = add_to_playlist(services.tracker, project, name, codes, dry_run=dry_run)
    if output is OutputFormat.json:
        emit_json({"project": project, "dry_run": dry_run, **playlist_row(playlist)})
        return
    held = "would hold " if dry_run else ""
    typer.echo(f"playlist {playlist.code}: {held}{len(playlist.versions)} versions")


@playlists_app.command("list")
@handle_errors
def playlists_list(
    ctx: typer.Context,
    project: str | None = PROJECT,
    output: TableFormat = LISTING,
) -> None:
    """List a project's playlists and how many Versions each holds."""
    from onepiece.services.review.versions import playlist_row

    project = resolve_project(ctx, project)
    services = container(ctx)
    services.tracker.get_project(project)
    rows = [playlist_row(p) for p in services.tracker.list_playlists(project)]
    if output is TableFormat.json:
        emit_json({"project": project, "playlists": rows})
        return
    print_table(
        f"{project}: {len(rows)} playlists",
        ["code", "versions", "description"],
        [[r["code"], len(r["versions"]), r["description"]] for r in rows],
    )


@handle_errors
def playlists_show(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Playlist name (code)."),
    project: str | None = PROJECT,
    output: TableFormat = LISTING,
) -> None:
    """List a playlist's Versions in playlist order: status, bucket, shot, frames, size."""
    from onepiece.services.review.playlists import playlist_versions

    project = resolve_project(ctx, project)
    services = container(ctx)
    playlist, rows = playlist_versions(
        services.tracker, project, name, services.settings.status_map
    )
    if output is TableFormat.json:
        emit_json(
            {
                "project": project,
                "playlist": playlist.code,
                "description": playlist.description,
                "versions": rows,
            }
        )
        return
    columns = ["code", "status", "bucket", "episode", "shot", "frames", "size"]
    print_table(
        f"{project} playlist {playlist.code}: {len(rows)} versions",
        columns,
        [[r.get(c) for c in columns] for r in rows],
    )


# `show` is the documented name; `versions` reads as naturally (`playlists versions dailies`).
playlists_app.command("show")(playlists_show)
playlists_app.command("versions", hidden=True)(playlists_show)
