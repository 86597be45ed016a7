"""A root command group whose sub-groups load on first use.

Building every Typer command inspects every signature (~30 ms for ours) and
imports every command module; ``onepiece --help`` needs only their names and
one line of help. Groups listed in ``LazyGroup.groups`` are therefore built
only when invoked (or completed); the root help lists them from their static
summary, which a test keeps equal to each group's own help.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

import typer
import typer.main
from typer.core import TyperGroup


@dataclass(frozen=True)
class GroupSpec:
    modules: tuple[str, ...]  # each exposes register(app); together they build the group
    summary: str  # first line of the group's help, shown by `onepiece --help`


def build_group(name: str, spec: GroupSpec) -> Any:
    """Import the group's modules and build its click command."""
    holder = typer.Typer(rich_markup_mode=None)
    for module in spec.modules:
        importlib.import_module(module).register(holder)
    return typer.main.get_group(holder).commands[name]


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: max(limit - 3, 1)].rsplit(" ", 1)[0] + "..."


class LazyGroup(TyperGroup):
    groups: dict[str, GroupSpec] = {}

    def list_commands(self, ctx: Any) -> list[str]:
        eager = super().list_commands(ctx)
        return [*eager, *(name for name in self.groups if name not in eager)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name in self.groups and cmd_name not in self.commands:
            self.add_command(build_group(cmd_name, self.groups[cmd_name]), cmd_name)
        return super().get_command(ctx, cmd_name)

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        """Typer suggests only among built commands: suggest the lazy groups too."""
        try:
            return super().resolve_command(ctx, args)
        except typer.TyperException as exc:
            message = getattr(exc, "message", None)
            if args and isinstance(message, str) and "Did you mean" not in message:
                from difflib import get_close_matches  # only on a typo: keeps --help fast

                matches = get_close_matches(args[0], self.list_commands(ctx))
                if matches:
                    names = ", ".join(f"{m!r}" for m in matches)
                    exc.message = f"{message.rstrip('.')}. Did you mean {names}?"
            raise

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max((len(n) for n in names), default=0)
        rows = []
        for name in names:
            if name in self.groups and name not in self.commands:
                rows.append((name, _shorten(self.groups[name].summary, limit)))
                continue
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)
