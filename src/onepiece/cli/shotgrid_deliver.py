"""``onepiece shotgrid deliver`` and ``package-playlist``: packages for MediaShuttle."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any

import typer

from onepiece.cli import exit_codes
from onepiece.cli.context import (
    OutputFormat,
    container,
    emit_json,
    handle_errors,
    project_option,
    resolve_project,
)
from onepiece.cli.tables import byte_progress


class Context(StrEnum):
    vendor_out = "vendor_out"
    client_out = "client_out"


class Recipient(StrEnum):
    client = "client"
    vendor = "vendor"


def register(group: typer.Typer) -> None:
    # Extra arguments let `--episodes E1 E2 E3` read as the issue documents it.
    group.command("deliver", context_settings={"allow_extra_args": True})(deliver)
    group.command("package-playlist")(package_playlist)


def _problem_exit(problems: list[dict[str, Any]]) -> int:
    if not problems:
        return exit_codes.OK
    kinds = {p["kind"] for p in problems}
    return exit_codes.VALIDATION if kinds <= {"unsafe_name", "no_media"} else exit_codes.INTEGRITY


@handle_errors
def deliver(
    ctx: typer.Context,
    project: str | None = project_option(),
    context: Context = typer.Option(..., "--context", help="vendor_out or client_out."),
    output_zip: Path = typer.Option(..., "--output", help="ZIP file to write."),
    episodes: list[str] = typer.Option(
        [], "--episodes", help="Only these episodes (repeat, or list after one flag)."
    ),
    manifest: Path | None = typer.Option(
        None, "--manifest", help="Also write PREFIX.json and PREFIX.csv on disk."
    ),
    upstream_manifest: Path | None = typer.Option(
        None, "--upstream-manifest", help="Vendor/client manifest (CSV/JSON); its data wins."
    ),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing output."),
    no_upload: bool = typer.Option(
        False, "--no-upload", help="Write the ZIP and manifests locally only."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Plan and check, write nothing."),
    output: OutputFormat = typer.Option(OutputFormat.text, "--format", help="text or json."),
) -> None:
    """Package approved Versions as a verified ZIP and upload it to the context's bucket.

    Each file is checked against its recorded checksum while it is written
    (one read). Missing media and mismatches are reported and left out.
    Exit codes: 0 all delivered, 4 unsafe names left out, 5 missing or
    mismatched media left out, 9 nothing to deliver.
    """
    from onepiece.errors import ValidationError
    from onepiece.services.delivery.deliver import DeliveryRequest
    from onepiece.services.delivery.deliver import deliver as run_delivery

    if ctx.args and not episodes:
        raise ValidationError(f"unexpected arguments: {' '.join(ctx.args)}")
    episodes = [*episodes, *ctx.args]
    request = DeliveryRequest(
        project=resolve_project(ctx, project),
        context=context.value,
        output=output_zip,
        episodes=tuple(_split(episodes)),
        manifest_prefix=manifest,
        upstream_manifest=upstream_manifest,
        overwrite=overwrite,
        dry_run=dry_run,
        upload=not no_upload,
    )
    services = container(ctx)
    with byte_progress("deliver", None) as (advance, on_file):
        result = run_delivery(services, request, progress=advance, on_file=on_file)
    data = result.to_dict()
    if output is OutputFormat.json:
        emit_json(data)
    else:
        _print_delivery(data)
    code = _problem_exit(data["problems"])
    if code:
        raise typer.Exit(code)


def _split(values: list[str]) -> list[str]:
    return [v for value in values for v in value.replace(",", " ").split() if v]


def _print_delivery(data: dict[str, Any]) -> None:
    record = data["delivery"]
    if data["dry_run"]:
        typer.echo(f"dry run: would deliver {record['entry_count']} files")
        for planned in data["planned"]:
            typer.echo(f"  {planned['name']}  <- {planned['source']}")
    else:
        typer.echo(
            f"delivery {record['id']}: {record['entry_count']} files, "
            f"{record['total_bytes']} bytes -> {record['zip_path']}"
        )
        if record.get("zip_uri"):
            typer.echo(f"uploaded: {record['zip_uri']}")
        for path in record.get("manifest_paths") or []:
            typer.echo(f"manifest: {path}")
    for problem in data["problems"]:
        typer.echo(
            f"NOT DELIVERED {problem['version']} ({problem['kind']}): {problem['reason']}",
            err=True,
        )


@handle_errors
def package_playlist(
    ctx: typer.Context,
    project: str | None = project_option(),
    playlist: str = typer.Option(..., "--playlist", help="Playlist name (code)."),
    destination: Path = typer.Option(..., "--destination", help="Folder to create it in."),
    recipient: Recipient = typer.Option(Recipient.client, "--recipient", help="client or vendor."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing package."),
    link: bool = typer.Option(
        False, "--link", help="Hard-link read-only local masters instead of copying them."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Plan and check, write nothing."),
    output: OutputFormat = typer.Option(OutputFormat.text, "--format", help="text or json."),
) -> None:
    """Build a MediaShuttle-ready folder of a playlist's Versions, with a manifest.

    Local media is reflinked where the filesystem can, copied otherwise, so
    editing a delivered file never edits the master; --link hard-links masters
    that are read-only. Every file is verified against its recorded checksum.
    """
    from onepiece.services.delivery.playlist_package import PackageRequest
    from onepiece.services.delivery.playlist_package import package_playlist as run

    services = container(ctx)
    request = PackageRequest(
        project=resolve_project(ctx, project),
        playlist=playlist,
        destination=destination,
        recipient=recipient.value,
        overwrite=overwrite,
        dry_run=dry_run,
        link=link,
    )
    with byte_progress("package", None) as (advance, on_file):
        result = run(services, request, progress=advance, on_file=on_file)
    data = result.to_dict()
    if output is OutputFormat.json:
        emit_json(data)
    else:
        verb = "would package" if dry_run else "packaged"
        typer.echo(f"{verb} {len(data['entries'])} files -> {data['folder']}")
        if data.get("manifest"):
            typer.echo(f"manifest: {data['manifest']}")
        for problem in data["problems"]:
            typer.echo(
                f"NOT PACKAGED {problem['version']} ({problem['kind']}): {problem['reason']}",
                err=True,
            )
    code = _problem_exit(data["problems"])
    if code:
        raise typer.Exit(code)
