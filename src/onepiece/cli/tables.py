"""Printing results: Rich tables on stdout, CSV, and progress on stderr.

Rich is imported inside the functions so importing a CLI module stays cheap.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any


def print_table(title: str | None, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, show_lines=False)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*("" if cell is None else str(cell) for cell in row))
    # Piped output is read by people in logs and by grep: never truncate cells there.
    width = None if sys.stdout.isatty() else 250
    Console(file=sys.stdout, width=width).print(table)


def print_csv(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if cell is None else cell for cell in row])


@contextmanager
def byte_progress(
    label: str, total: int | None
) -> Iterator[tuple[Callable[[int], None], Callable[[str], None]]]:
    """(advance(bytes), on_item(name)): a Rich bar on a terminal, plain lines otherwise."""
    if not sys.stderr.isatty():

        def plain_item(name: str) -> None:
            print(f"{label}: {name}", file=sys.stderr, flush=True)

        yield (lambda _n: None), plain_item
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=Console(file=sys.stderr),
        transient=True,
    ) as progress:
        task = progress.add_task(label, total=total)

        def advance(count: int) -> None:
            progress.advance(task, count)

        def item(name: str) -> None:
            progress.update(task, description=f"{label}: {name.rsplit('/', 1)[-1]}")

        yield advance, item
