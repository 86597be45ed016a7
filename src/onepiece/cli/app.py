"""The ``onepiece`` command: the root app and its command groups.

Each noun lives in its own module exposing ``register(app)``. Modules import
only Typer and the standard library at top level, so ``onepiece --help``
starts fast and works offline; services load inside the commands.
"""

from __future__ import annotations

import importlib
import os

import typer

from onepiece import __version__
from onepiece.cli.context import state
from onepiece.cli.lazy_group import GroupSpec, LazyGroup

# Modules with root commands, in the order --help lists them.
COMMAND_MODULES = [
    "onepiece.cli.info",
    "onepiece.cli.profile",
    "onepiece.cli.ingest",
    "onepiece.cli.serve",
    "onepiece.cli.demo",
]

# Command groups, built only when used (see lazy_group.py); summaries are
# their help's first line (tests/unit/test_cli_groups.py keeps them equal).
LazyGroup.groups = {
    "shotgrid": GroupSpec(
        ("onepiece.cli.shotgrid",),
        "Tracker work: show setup, templates, review, playlists, deliveries (local or ShotGrid).",
    ),
    "aws": GroupSpec(
        ("onepiece.cli.aws", "onepiece.cli.aws_sync"),
        "Work with S3 buckets: ingest deliveries into them (and sync, where available).",
    ),
    "validate": GroupSpec(
        ("onepiece.cli.validate",), "Consistency checks: tracker vs storage vs manifests."
    ),
    "dcc": GroupSpec(("onepiece.cli.dcc",), "Publish DCC outputs; open shots in their DCC."),
    "render": GroupSpec(
        ("onepiece.cli.render",), "Submit, list, follow and cancel render jobs; list farms."
    ),
    "review": GroupSpec(
        ("onepiece.cli.review",),
        "Review media: rebuild the thumbnails and review movies of Versions.",
    ),
    "opencue": GroupSpec(
        ("onepiece.cli.opencue",),
        "OpenCue render farm: queue status (submit with the render commands).",
    ),
    "db": GroupSpec(
        ("onepiece.cli.db",),
        "The state database: show its schema status, upgrade it and import old files.",
    ),
    "runs": GroupSpec(
        ("onepiece.cli.runs",),
        "Ingest runs in the state database: export them in the documented format.",
    ),
}

app = typer.Typer(
    name="onepiece",
    cls=LazyGroup,
    help="OnePiece: ingest, publish, deliver and render for VFX and animation pipelines.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # Plain help output: Rich help rendering costs ~70 ms of imports on every --help.
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"onepiece {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    profile: str | None = typer.Option(
        None, "--profile", envvar="ONEPIECE_PROFILE", help="Named profile from onepiece.toml."
    ),
    debug: bool = typer.Option(False, "--debug", help="Verbose logs and full tracebacks."),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """OnePiece pipeline toolkit. Logs go to stderr, results to stdout."""
    st = state(ctx)
    st.profile = profile
    st.debug = debug or bool(os.environ.get("ONEPIECE_DEBUG"))
    from onepiece.logs import configure_logging

    configure_logging(st.debug)


for _module in COMMAND_MODULES:
    importlib.import_module(_module).register(app)


def main() -> None:
    app()
