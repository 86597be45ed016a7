"""``onepiece aws``: S3 workflows. Other modules attach their commands to ``aws_app``."""

from __future__ import annotations

import typer

aws_app = typer.Typer(
    name="aws", help="S3 workflows: ingest and folder sync.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    app.add_typer(aws_app, name="aws")
