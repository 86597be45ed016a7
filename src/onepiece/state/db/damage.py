"""A SQLite state database damaged while in use stays damaged for this process.

Start-up checks (health.py) judge the file before it is used; this watches it
after. Damage shows up in two ways:

- SQLite answers a statement with ``SQLITE_CORRUPT`` or ``SQLITE_NOTADB``
  (random bytes over pages, an overwritten header);
- the file under the path is gone, another one, or emptied (checked with one
  ``stat`` as each transaction begins: a few microseconds).

From then on every transaction is refused with a database error (the CLI's
exit 3, the API's ``state.unavailable``), ``/health`` says ``degraded`` with
the reason, and nothing more is written into the file: a read-only connection
is held open so that the last connection to close is one that cannot
checkpoint the WAL into the damaged file. The file and its WAL are left as
they are for the operator (restore, or move them aside).
"""

from __future__ import annotations

import os
import sqlite3
import threading
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

_DAMAGE_CODES = ("SQLITE_CORRUPT", "SQLITE_NOTADB")
_HINT = "restart the service once the file is restored from backup or moved aside"
_WATCHES: weakref.WeakKeyDictionary[Any, DamageWatch] = weakref.WeakKeyDictionary()


class DamageWatch:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.reason: str | None = None
        self._identity: tuple[int, int] | None = None  # (device, inode) first seen
        self._had_data = False
        self._lock = threading.Lock()
        self._read_only: sqlite3.Connection | None = None

    def check(self) -> None:
        """Raise ``DatabaseDamaged`` if the file is, or was seen, damaged (each BEGIN)."""
        if self.reason is None:
            problem = self._file_problem()
            if problem is not None:
                self.mark(f"state database {self.path} {problem} while in use")
        if self.reason is not None:
            # A database error like any other failure of the database, so every
            # caller that rides out an outage (the event feed, the poller's
            # lease, the API's state.unavailable) treats it the same way.
            from sqlalchemy.exc import OperationalError

            raise OperationalError(None, None, sqlite3.DatabaseError(f"{self.reason} ({_HINT})"))

    def _file_problem(self) -> str | None:
        try:
            found = os.stat(self.path)
        except FileNotFoundError:
            return "was deleted" if self._identity is not None else None
        except OSError:
            return None  # unreadable folder: SQLite's own error says it better
        identity = (found.st_dev, found.st_ino)
        if self._identity is None:
            self._identity = identity
        elif identity != self._identity:
            return "was replaced by another file"
        if found.st_size == 0 and self._had_data:
            return "was emptied"
        self._had_data = self._had_data or found.st_size > 0
        return None

    def mark(self, reason: str) -> None:
        with self._lock:
            if self.reason is not None:
                return
            self.reason = reason
            try:  # held until the process ends: the last connection then cannot checkpoint
                self._read_only = sqlite3.connect(
                    f"file:{self.path}?mode=ro", uri=True, check_same_thread=False
                )
                self._read_only.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
            except sqlite3.Error:
                pass  # a header too broken to open: no connection can checkpoint into it

    def on_error(self, context: Any) -> None:
        """SQLAlchemy ``handle_error``: a corrupt page or header seen by any statement."""
        original = context.original_exception
        name = getattr(original, "sqlite_errorname", "")
        if isinstance(original, sqlite3.DatabaseError) and name.startswith(_DAMAGE_CODES):
            first = str(original).splitlines()[0] if str(original) else name
            self.mark(f"state database {self.path} is damaged: {first}")


def watch(engine: Engine, path: Path) -> None:
    """Watch ``engine``'s SQLite file from its first transaction on (before each
    BEGIN, on every connection, its execution-option copies' too)."""
    from sqlalchemy import event

    damage = DamageWatch(path)
    _WATCHES[engine] = damage
    event.listen(engine, "handle_error", damage.on_error)
    event.listen(engine, "begin", lambda _connection: damage.check(), insert=True)


def damage_of(engine: Engine) -> str | None:
    """The damage seen on ``engine``'s file while in use, if any."""
    found = _WATCHES.get(getattr(engine, "_proxied", engine))  # an execution-option copy
    return found.reason if found is not None else None
