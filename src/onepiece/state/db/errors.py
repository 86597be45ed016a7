"""State database errors: configuration-class failures (exit code 3, one line).

They subclass ``ConfigError`` so the CLI and the web layer map them like any
other configuration problem without a new entry in their tables.
"""

from __future__ import annotations

from onepiece.errors import ConfigError, IdempotencyConflict, IdempotencyInFlight


class DatabaseUnavailable(ConfigError):
    """The state database cannot be opened or reached."""


class DatabaseDamaged(ConfigError):
    """The state database fails its integrity checks (empty, truncated, corrupt)."""


class SchemaTooNew(ConfigError):
    """The database schema is newer than this version of OnePiece knows."""


class SchemaOutdated(ConfigError):
    """The database schema is older than this code: ``onepiece db upgrade``."""


__all__ = [
    "DatabaseDamaged",
    "DatabaseUnavailable",
    "IdempotencyConflict",  # defined with the other errors: the web maps them
    "IdempotencyInFlight",
    "SchemaOutdated",
    "SchemaTooNew",
]
