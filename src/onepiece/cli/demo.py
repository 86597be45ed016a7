"""``onepiece demo``: the whole product on the embedded defaults (see onepiece.demo)."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def demo(
    workspace: Path | None = typer.Argument(
        None, help="A new or empty folder for the demo (default: a new temporary folder)."
    ),
    no_serve: bool = typer.Option(
        False,
        "--no-serve",
        help="Check the pages, then stop Trafalgar and exit (the default when CI=true).",
    ),
    port: int = typer.Option(
        8000, "--port", min=0, max=65535, help="Trafalgar's port (when busy: any free one)."
    ),
) -> None:
    """Run the whole story in a fresh workspace: ingest, review, deliver, render, Trafalgar.

    Each step prints the commands a user would type and their real output, in a
    workspace with its own HOME (your settings are never read or written).
    Trafalgar then stays in the foreground until Ctrl-C. Exits 1, naming the
    step, when a step does not do what it says.
    """
    from onepiece.demo import main

    args = [str(workspace)] if workspace else []
    args += [*(["--no-serve"] if no_serve else []), "--port", str(port)]
    raise typer.Exit(main(args))
