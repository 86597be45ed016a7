"""State database errors: configuration-class failures (exit code 3, one line).

They subclass ``ConfigError`` so the CLI and the web layer map them like any
other configuration problem without a new entry in their tables.
"""

from __future__ import annotations

from onepiece.errors import (
    ConfigError,
    DatabaseDamaged,
    DatabaseUnavailable,
    IdempotencyConflict,
    IdempotencyInFlight,
)


class SchemaTooNew(ConfigError):
    """The database schema is newer than this version of OnePiece knows."""


class SchemaOutdated(ConfigError):
    """The database schema is older than this code: ``onepiece db upgrade``."""


__all__ = [
    "DatabaseDamaged",  # these four are defined with the other errors: the web maps them
    "DatabaseUnavailable",
    "IdempotencyConflict",
    "IdempotencyInFlight",
    "SchemaOutdated",
    "SchemaTooNew",
]
