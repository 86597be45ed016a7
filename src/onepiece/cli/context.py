"""Shared CLI plumbing: settings per invocation, error mapping, output.

Errors are mapped here, at the edge: one clear line on stderr (what went
wrong, what to do) and a documented exit code; a traceback only with --debug.
Results go to stdout; logs and progress go to stderr.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import typer

from onepiece import errors
from onepiece.cli import exit_codes

if TYPE_CHECKING:
    from onepiece.bootstrap import Container
    from onepiece.config import ResolvedConfig

P = ParamSpec("P")
R = TypeVar("R")

EXIT_CODES: list[tuple[type[errors.OnePieceError], int]] = [
    (errors.ConfigError, exit_codes.CONFIG),
    (errors.ValidationError, exit_codes.VALIDATION),
    # An unknown job id, farm name or scene path is the user's input, not a farm failure.
    (errors.JobNotFound, exit_codes.VALIDATION),
    (errors.UnknownFarm, exit_codes.VALIDATION),
    (errors.SceneNotFound, exit_codes.VALIDATION),
    (errors.IntegrityError, exit_codes.INTEGRITY),
    (errors.NothingToDo, exit_codes.NOTHING_TO_DO),
    (errors.TrackerError, exit_codes.TRACKER),
    (errors.StorageError, exit_codes.STORAGE),
    (errors.FarmError, exit_codes.FARM),
]


class OutputFormat(StrEnum):
    text = "text"
    json = "json"


class TableFormat(StrEnum):
    """Listings: ``text`` prints a table (``table`` is accepted as the same), or ``json``."""

    text = "text"
    table = "table"
    json = "json"


def project_option(help: str = "Project code (default: project in onepiece.toml).") -> Any:
    """``--project/-p``, optional on the command line: onepiece.toml's ``project`` fills it."""
    return typer.Option(None, "--project", "-p", help=help)


@dataclass
class CliState:
    profile: str | None = None
    debug: bool = False
    _config: ResolvedConfig | None = None
    _container: Container | None = None
    overrides: dict[str, Any] = field(default_factory=dict)


def state(ctx: typer.Context) -> CliState:
    root = ctx.find_root()
    if not isinstance(root.obj, CliState):
        root.obj = CliState()
    return root.obj


def config(ctx: typer.Context, **overrides: Any) -> ResolvedConfig:
    """Resolve settings once per invocation; ``overrides`` are dotted keys from flags."""
    import logging

    from onepiece.config import load_config

    st = state(ctx)
    st.overrides.update({k: v for k, v in overrides.items() if v is not None})
    if st._config is None or overrides:
        st._config = load_config(profile=st.profile, overrides=st.overrides)
        for warning in st._config.warnings:
            logging.getLogger("onepiece").warning(warning)
    return st._config


def resolve_project(ctx: typer.Context, project: str | None) -> str:
    """The --project flag, else the configured ``project``; a clear error when neither."""
    from onepiece.domain.safe_paths import check_name
    from onepiece.errors import ValidationError

    chosen = project or config(ctx).settings.project
    if not chosen:
        raise ValidationError(
            "no project given", hint="pass --project CODE or set project in onepiece.toml"
        )
    return check_name(chosen, "project")


def container(ctx: typer.Context, **overrides: Any) -> Container:
    from onepiece.bootstrap import bootstrap

    st = state(ctx)
    if st._container is None or overrides:
        st._container = bootstrap(config(ctx, **overrides).settings)
        ctx.call_on_close(st._container.close)
    return st._container


def exit_code_for(exc: errors.OnePieceError) -> int:
    for cls, code in EXIT_CODES:
        if isinstance(exc, cls):
            return code
    return exit_codes.INTERNAL


_CONTROLS = {c: f"\\x{c:02x}" for c in (*range(32), 127)} | {
    ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t",
    0x85: "\\x85", 0x2028: "\\u2028", 0x2029: "\\u2029",
}  # fmt: skip


def printable(text: str) -> str:
    """A name from outside (a vendor's file name) as one line of text: control
    characters and line breaks escaped, so a name cannot forge output lines."""
    return text.translate(_CONTROLS)


def one_line(text: str) -> str:
    """Collapse a multi-line message (a parser's caret diagram, say) onto one line."""
    return " ".join(text.split())


def fail(message: str, code: int, hint: str | None = None) -> typer.Exit:
    err = f"error: {one_line(message)}"
    if hint:
        err += f" (hint: {one_line(hint)})"
    typer.echo(err, err=True)
    return typer.Exit(code)


def _unexpected(exc: Exception) -> typer.Exit:
    """Anything outside our tree: still one line, exit 1, the traceback only with --debug."""
    if type(exc).__module__.startswith("sqlalchemy."):  # not imported for every command
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        return fail(
            f"the state database failed: {reason}",
            exit_codes.CONFIG,
            "check it with `onepiece db status`; if another process holds it locked, "
            "let that finish or stop it, then run this again",
        )
    if isinstance(exc, OSError) and exc.strerror:
        where = f"{exc.filename}: " if exc.filename else ""
        return fail(
            f"{where}{exc.strerror}",
            exit_codes.INTERNAL,
            "check the path and its permissions; `onepiece --debug ...` shows the traceback",
        )
    return fail(
        f"unexpected {type(exc).__name__}: {exc}",
        exit_codes.INTERNAL,
        "this is a bug: rerun as `onepiece --debug ...` and report the traceback",
    )


def handle_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn our errors into one line and an exit code; tracebacks only with --debug."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        # Typer hands commands its own Context class; recognise it by shape.
        contexts = [v for v in (*args, *kwargs.values()) if hasattr(v, "find_root")]
        debug = any(state(c).debug for c in contexts)  # type: ignore[arg-type]
        try:
            return func(*args, **kwargs)
        except errors.OnePieceError as exc:
            if debug:
                raise
            raise fail(exc.message, exit_code_for(exc), exc.hint) from None
        except KeyboardInterrupt:
            raise fail("interrupted", exit_codes.INTERRUPTED) from None
        except (typer.Exit, typer.Abort, typer.TyperException, BrokenPipeError):
            # Typer's own exits and usage errors keep their codes and messages;
            # Click ends quietly when stdout's reader has gone (`... | head`).
            raise
        except Exception as exc:  # the CLI's last resort: one line (or the traceback with --debug)
            if debug:
                raise
            raise _unexpected(exc) from None

    return wrapper


def emit_json(data: Any) -> None:
    """Pure JSON on stdout, nothing else."""
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")
    sys.stdout.flush()
