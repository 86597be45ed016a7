"""Progress of a hierarchy setup on stderr: a Rich bar on a terminal, plain lines otherwise.

Fed with ensure_hierarchy's (kind, code, outcome) events; shots advance the
count, other entities are only mentioned when they fail.
"""

from __future__ import annotations

import sys
from types import TracebackType
from typing import Any

import typer


class SetupProgress:
    def __init__(self, total_shots: int | None, label: str = "shots") -> None:
        """``total_shots`` None when unknown up front (the bar then just counts)."""
        self.total = total_shots
        self.label = label
        self.done = 0
        self.outcomes = {"created": 0, "existing": 0, "failed": 0}
        self._rich: Any = None
        self._task: Any = None

    def __enter__(self) -> SetupProgress:
        if sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            self._rich = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[detail]}"),
                console=Console(stderr=True),
                transient=False,
            )
            self._rich.start()
            self._task = self._rich.add_task(self.label, total=self.total, detail="")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._rich is not None:
            self._rich.stop()

    def __call__(self, kind: str, code: str, outcome: str) -> None:
        if kind != "Shot":
            if outcome == "failed":
                self._line(f"{kind.lower()} {code}: failed")
            return
        self.done += 1
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1
        if self._rich is not None:
            detail = ", ".join(f"{n} {name}" for name, n in self.outcomes.items() if n)
            self._rich.update(self._task, completed=self.done, detail=detail)
            if outcome == "failed":
                self._rich.console.print(f"shot {code}: failed")
        else:
            count = f"{self.done}/{self.total}" if self.total is not None else str(self.done)
            typer.echo(f"[{count}] shot {code}: {outcome}", err=True)

    def _line(self, text: str) -> None:
        if self._rich is not None:
            self._rich.console.print(text)
        else:
            typer.echo(text, err=True)
