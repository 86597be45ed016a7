"""``onepiece profile``: print the resolved settings and where each came from."""

from __future__ import annotations

from typing import Any

import typer

from onepiece.cli.context import OutputFormat, config, emit_json, handle_errors, state


def register(app: typer.Typer) -> None:
    app.command("profile")(profile)


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict) and value:
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


# Settings left unset resolve to a path under data_dir: show that path, not None.
DERIVED_PATHS = {
    "tracker.path": "tracker_path",
    "storage.root": "storage_root",
    "ingest.registry_path": "ingest_registry_path",
    "delivery.registry_path": "delivery_registry_path",
    "trafalgar.render_jobs_path": "render_jobs_path",
}


def _resolve_derived(values: dict[str, Any], settings: Any, sources: dict[str, str]) -> None:
    for key, attribute in DERIVED_PATHS.items():
        if values.get(key) is None:
            values[key] = str(getattr(settings, attribute))
            sources.setdefault(key, "default (under data_dir)")


@handle_errors
def profile(
    ctx: typer.Context,
    profile_name: str | None = typer.Option(
        None, "--profile", help="Profile to resolve (overrides the global --profile)."
    ),
    show_sources: bool = typer.Option(
        False, "--show-sources", help="Name the file:line or variable each value came from."
    ),
    output: OutputFormat = typer.Option(OutputFormat.text, "--format", help="text or json."),
) -> None:
    """Print the resolved settings (secrets masked)."""
    if profile_name:
        state(ctx).profile = profile_name
    resolved = config(ctx)
    # mode="json" renders SecretStr as "**********": secrets never leave masked.
    values = _flatten(resolved.settings.model_dump(mode="json"))
    sources = dict(resolved.sources)
    _resolve_derived(values, resolved.settings, sources)
    rows = {
        key: {"value": value, "source": sources.get(key, "default")}
        for key, value in sorted(values.items())
    }
    if output is OutputFormat.json:
        payload: dict[str, Any] = {
            "profile": resolved.settings.profile,
            "files": [str(p) for p in resolved.files],
            "profiles": resolved.profiles,
            "settings": rows if show_sources else {k: r["value"] for k, r in rows.items()},
        }
        emit_json(payload)
        return
    typer.echo(f"profile: {resolved.settings.profile or '(none)'}")
    typer.echo("files: " + (", ".join(str(p) for p in resolved.files) or "(none)"))
    width = max(len(k) for k in rows)
    for key, row in rows.items():
        line = f"{key:<{width}}  {row['value']!s}"
        if show_sources:
            line += f"    [{row['source']}]"
        typer.echo(line)
