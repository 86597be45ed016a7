"""``onepiece aws``: commands that move data in and out of S3 buckets.

Holds ``ingest`` under its documented name (``onepiece aws ingest``); other
modules add their commands to ``aws_app`` in their own ``register``.
"""

from __future__ import annotations

import typer

aws_app = typer.Typer(
    name="aws",
    help="Work with S3 buckets: ingest deliveries into them (and sync, where available).",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(aws_app, name="aws")
