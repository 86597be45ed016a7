"""Ingest progress on stderr: Rich bars on a terminal, one plain line per file otherwise.

The Rich display shows bytes and files done, rate, ETA and one line per file
in flight. Events arrive from worker threads: Rich's Progress locks its own
state, and the plain display writes whole lines under a lock.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING

from onepiece.cli.context import printable

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from onepiece.domain.ingest_plan import PlannedFile
    from onepiece.services.ingest.service import IngestEvents


@contextlib.contextmanager
def progress_display(*, interactive: bool, quiet: bool = False) -> Iterator[IngestEvents]:
    if quiet:
        from onepiece.services.ingest.service import NoEvents

        yield NoEvents()
    elif interactive:
        display = RichDisplay()
        with display.progress:
            yield display
    else:
        yield PlainDisplay()


class PlainDisplay:
    """One line per finished file, for CI logs and pipes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._done = 0
        self._total = 0

    def planned(self, files: int, size: int) -> None:
        self._total = files
        self._line(f"ingest: {files} file(s) to send or verify, {size} bytes")

    def file_started(self, path: str, size: int) -> None:
        return None

    def advance(self, path: str, count: int) -> None:
        return None

    def file_finished(self, row: PlannedFile) -> None:
        with self._lock:
            self._done += 1
            done = self._done
        line = f"[{done}/{self._total}] {row.status.value} {row.path}"
        if row.reason and row.status.value not in ("uploaded",):
            line += f" ({row.reason})"
        self._line(line)

    def _line(self, text: str) -> None:
        with self._lock:
            sys.stderr.write(printable(text) + "\n")
            sys.stderr.flush()


class RichDisplay:
    """Overall bytes (rate, ETA), files done, and a row per file in flight."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        self.progress: Progress = Progress(
            TextColumn("{task.description}", justify="left"),
            BarColumn(bar_width=20),
            DownloadColumn(binary_units=True),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            TextColumn("{task.fields[files]}"),
            console=Console(stderr=True),
            transient=False,
            refresh_per_second=8,
        )
        self._lock = threading.Lock()
        self._overall: TaskID | None = None
        self._in_flight: dict[str, TaskID] = {}
        self._left: dict[str, int] = {}  # bytes still to read per file in flight
        self._done = 0
        self._total = 0

    def planned(self, files: int, size: int) -> None:
        self._total = files
        self._overall = self.progress.add_task("ingest", total=size, files=f"0/{files} files")

    def file_started(self, path: str, size: int) -> None:
        name = path.rsplit("/", 1)[-1]
        task = self.progress.add_task(f"  {_short(name)}", total=size, files="")
        with self._lock:
            self._in_flight[path] = task
            self._left[path] = size

    def advance(self, path: str, count: int) -> None:
        if self._overall is not None:
            self.progress.advance(self._overall, count)
        with self._lock:
            task = self._in_flight.get(path)
            left = self._left[path] = self._left.get(path, 0) - count
            if left <= 0:  # read in full: it waits for its batch commit, off the list
                self._in_flight.pop(path, None)
        if task is not None:
            if left <= 0:
                self.progress.remove_task(task)
            else:
                self.progress.advance(task, count)

    def file_finished(self, row: PlannedFile) -> None:
        with self._lock:
            self._done += 1
            done = self._done
            task = self._in_flight.pop(row.path, None)
            self._left.pop(row.path, None)
        if task is not None:
            self.progress.remove_task(task)
        if self._overall is not None:
            self.progress.update(self._overall, files=f"{done}/{self._total} files")
        if row.status.value not in ("uploaded", "skipped"):
            line = printable(f"{row.status.value}: {row.path}: {row.reason or ''}")
            self.progress.console.print(line, markup=False, highlight=False)


def _short(name: str, width: int = 28) -> str:
    return name if len(name) <= width else "…" + name[-(width - 1) :]
