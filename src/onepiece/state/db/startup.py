"""Bring a state database into service: whole, current, with the old files carried over.

``prepare`` is what ``onepiece db upgrade`` runs and what a service may run at
start-up: it refuses a damaged database or a schema newer than the code
before anything is written, applies pending migrations, then imports the
files of the previous version once.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from onepiece.state.db.engine import sqlite_path
from onepiece.state.db.health import ensure_healthy
from onepiece.state.db.migrate import check_schema, upgrade

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from onepiece.state.db.legacy import ImportReport, LegacySources


@dataclass(frozen=True)
class Prepared:
    applied: list[str]  # migrations applied now, oldest first
    imports: list[ImportReport]


def prepare(engine: Engine, sources: LegacySources | None) -> Prepared:
    """``sources`` None: no import (the files are still the live store)."""
    from onepiece.state.db.legacy import import_legacy

    with _preparing_alone(engine):
        ensure_healthy(engine)
        state = check_schema(engine)
        # Current (the usual case): no write lock, so commands never queue on a writer.
        applied = upgrade(engine) if state.pending else []
        imports = import_legacy(engine, sources) if sources is not None else []
    return Prepared(applied, imports)


@contextlib.contextmanager
def _preparing_alone(engine: Engine) -> Iterator[None]:
    """SQLite: one process at a time prepares a file (an ``flock`` on its folder).

    SQLite creates a new file empty and writes its first page a moment later;
    another process checking it in between would call it damaged (empty).
    Two first commands started together on a new machine do exactly that.
    """
    path = sqlite_path(engine.url)
    try:
        import fcntl
    except ImportError:  # Windows: no flock
        fcntl = None  # type: ignore[assignment]
    if path is None or fcntl is None:
        yield
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path.parent, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except OSError:  # cannot coordinate: the checks still run
        yield
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock
