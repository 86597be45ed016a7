"""``onepiece shotgrid``: the tracker command group (ShotGrid or the local tracker).

Other modules attach their commands to ``shotgrid_app``.
"""

from __future__ import annotations

import typer

shotgrid_app = typer.Typer(
    name="shotgrid",
    help="Tracker workflows: show setup, review, playlists and deliveries.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(shotgrid_app, name="shotgrid")
