"""State database errors: configuration-class failures (exit code 3, one line).

They subclass ``ConfigError`` so the CLI and the web layer map them like any
other configuration problem without a new entry in their tables.
"""

from __future__ import annotations

from onepiece.errors import ConfigError, ValidationError


class DatabaseUnavailable(ConfigError):
    """The state database cannot be opened or reached."""


class DatabaseDamaged(ConfigError):
    """The state database fails its integrity checks (empty, truncated, corrupt)."""


class SchemaTooNew(ConfigError):
    """The database schema is newer than this version of OnePiece knows."""


class SchemaOutdated(ConfigError):
    """The database schema is older than this code: ``onepiece db upgrade``."""


class IdempotencyConflict(ValidationError):
    """An idempotency key is in use for another request, or still in flight."""
