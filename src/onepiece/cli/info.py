"""``onepiece info``: what is configured, what is installed, and (--check) what answers."""

from __future__ import annotations

import os
import shutil
from typing import TYPE_CHECKING, Any

import typer

from onepiece import __version__
from onepiece.cli.context import OutputFormat, config, container, emit_json, handle_errors

if TYPE_CHECKING:
    from onepiece.bootstrap import Container


def register(app: typer.Typer) -> None:
    app.command("info")(info)


def find_dccs(configured: dict[str, str]) -> dict[str, str | None]:
    from onepiece.domain.dcc import DCC_EXECUTABLES

    found: dict[str, str | None] = {}
    for dcc, names in DCC_EXECUTABLES.items():
        if dcc in configured:
            found[dcc] = shutil.which(configured[dcc]) or None
            continue
        found[dcc] = next((path for n in names if (path := shutil.which(n))), None)
    return found


def _probe(label: str, probe: Any) -> dict[str, str]:
    from onepiece.errors import OnePieceError

    try:
        return {"name": label, "status": "OK", "detail": str(probe())}
    except OnePieceError as exc:
        return {"name": label, "status": "FAIL", "detail": exc.message}
    except ImportError as exc:
        return {"name": label, "status": "FAIL", "detail": f"client library missing: {exc.name}"}


def run_checks(services: Container) -> list[dict[str, str]]:
    checks = [
        _probe(f"tracker ({services.settings.tracker_backend})", lambda: services.tracker.ping()),
        _probe(f"storage ({services.settings.storage.backend})", lambda: services.storage.ping()),
    ]
    # Farms behind a server (OpenCue) are asked whether they answer now.
    for farm in services.farms.describe():
        if farm["name"] in ("local", "mock"):
            continue
        ok = farm["available"]
        detail = farm["description"] if ok else farm["message"]
        checks.append(
            {"name": f"farm ({farm['name']})", "status": "OK" if ok else "FAIL", "detail": detail}
        )
    return checks


@handle_errors
def info(
    ctx: typer.Context,
    output: OutputFormat = typer.Option(OutputFormat.text, "--format", help="text or json."),
    check: bool = typer.Option(False, "--check", help="Probe each configured integration live."),
) -> None:
    """Versions, configuration files, backends, data directory and DCCs on PATH."""
    import platform

    resolved = config(ctx)
    settings = resolved.settings
    shotgrid_key = settings.shotgrid.key
    data: dict[str, Any] = {
        "onepiece": __version__,
        "python": platform.python_version(),
        "config_files": [str(p) for p in resolved.files],
        "profile": settings.profile,
        "tracker": {
            "backend": settings.tracker_backend,
            "path": str(settings.tracker_path) if settings.tracker_backend == "local" else None,
            "shotgrid_url": settings.shotgrid.url,
            "shotgrid_script": settings.shotgrid.script,
            "shotgrid_key": "**********" if shotgrid_key else None,
            "kitsu_url": settings.kitsu.url,
            "kitsu_email": settings.kitsu.email,
            "kitsu_password": "**********" if settings.kitsu.password else None,
        },
        "storage": {
            "backend": settings.storage.backend,
            "root": str(settings.storage_root) if settings.storage.backend == "local" else None,
            "endpoint_url": settings.storage.endpoint_url,
            "region": settings.storage.region,
        },
        "aws_profile": settings.storage.aws_profile or os.environ.get("AWS_PROFILE"),
        "data_dir": str(settings.data_dir),
        "dccs": find_dccs(settings.dcc.executables),
    }
    if check:
        data["checks"] = run_checks(container(ctx))
    if output is OutputFormat.json:
        emit_json(data)
    else:
        _print_text(data)
    if check and any(c["status"] != "OK" for c in data["checks"]):
        raise typer.Exit(1)


def _print_text(data: dict[str, Any]) -> None:
    echo = typer.echo
    echo(f"onepiece {data['onepiece']} (Python {data['python']})")
    echo("config files: " + (", ".join(data["config_files"]) or "(none found)"))
    if data["profile"]:
        echo(f"profile: {data['profile']}")
    tracker = data["tracker"]
    line = f"tracker: {tracker['backend']}"
    if tracker["backend"] == "shotgrid":
        line += f" {tracker['shotgrid_url']} (script {tracker['shotgrid_script']}, key "
        line += f"{tracker['shotgrid_key'] or 'not set'})"
    elif tracker["backend"] == "kitsu":
        line += f" {tracker['kitsu_url']} (as {tracker['kitsu_email']}, password "
        line += f"{tracker['kitsu_password'] or 'not set'})"
    else:
        line += f" {tracker['path']}"
    echo(line)
    storage = data["storage"]
    where = storage["root"] if storage["backend"] == "local" else storage["endpoint_url"] or "AWS"
    echo(f"storage: {storage['backend']} {where}")
    echo(f"aws profile: {data['aws_profile'] or '(default)'}")
    echo(f"data dir: {data['data_dir']}")
    found = [f"{dcc} ({path})" for dcc, path in data["dccs"].items() if path]
    echo("DCCs on PATH: " + (", ".join(found) or "none found"))
    for result in data.get("checks", []):
        echo(f"check {result['name']}: {result['status']} {result['detail']}")
