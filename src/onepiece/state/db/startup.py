"""Bring a state database into service: whole, current, with the old files carried over.

``prepare`` is what ``onepiece db upgrade`` runs and what a service may run at
start-up: it refuses a damaged database or a schema newer than the code
before anything is written, applies pending migrations, then imports the
files of the previous version once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

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

    ensure_healthy(engine)
    check_schema(engine)
    applied = upgrade(engine)
    return Prepared(applied, import_legacy(engine, sources) if sources is not None else [])
