"""``onepiece serve``: run Trafalgar, the web service, under uvicorn."""

from __future__ import annotations

import typer

from onepiece.cli.context import config, handle_errors, state


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


@handle_errors
def serve(
    ctx: typer.Context,
    host: str | None = typer.Option(
        None, "--host", help="Interface to bind (default trafalgar.host, 127.0.0.1)."
    ),
    port: int | None = typer.Option(
        None, "--port", min=0, max=65535, help="Port to bind (default trafalgar.port, 8000)."
    ),
    workers: int | None = typer.Option(
        None,
        "--workers",
        min=1,
        max=64,
        help="Worker processes sharing the port (default trafalgar.workers, 1).",
    ),
) -> None:
    """Start Trafalgar (dashboard metrics, caches, admin) with OpenAPI docs at /docs.

    Protected routes need TRAFALGAR_DASHBOARD_TOKEN; read-only routes are open
    unless TRAFALGAR_READ_TOKEN is set. Tokens are never printed. Stop with Ctrl-C.
    """
    from onepiece.web.server import run

    overrides = {"trafalgar.host": host, "trafalgar.port": port, "trafalgar.workers": workers}
    run(config(ctx, **overrides).settings, debug=state(ctx).debug)
