"""``onepiece shotgrid``: production tracker commands (show setup, templates, ...).

The commands work on whichever tracker is configured: the local tracker by
default, ShotGrid when ONEPIECE_SHOTGRID_URL (or ``tracker.backend``) says so.
Commands live in their own modules, each adding itself to ``shotgrid_app``
through ``register(group)``; list new ones in ``SHOTGRID_COMMAND_MODULES``.
"""

from __future__ import annotations

import importlib

import typer

shotgrid_app = typer.Typer(
    name="shotgrid",
    help="Tracker work: show setup from a CSV, project tree templates (local tracker or ShotGrid).",
    no_args_is_help=True,
)

# Modules adding commands to the group, in --help order.
SHOTGRID_COMMAND_MODULES = [
    "onepiece.cli.shotgrid_setup",
    "onepiece.cli.shotgrid_templates",
]

_registered = False


def register(app: typer.Typer) -> None:
    global _registered
    if not _registered:  # the group is module-level: fill it once
        for module in SHOTGRID_COMMAND_MODULES:
            importlib.import_module(module).register(shotgrid_app)
        _registered = True
    app.add_typer(shotgrid_app, name="shotgrid")
