"""Is the state database whole? Checked before anything writes to it.

A SQLite file is looked at byte-wise first (nothing may open, and so rewrite,
a file that is not a database): an empty file, a foreign header or a file
shorter than its header's page count are reported, never replaced. Then
``PRAGMA quick_check`` walks every page. PostgreSQL guards its own pages; we
check that it answers.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from onepiece.state.db.engine import describe, reading, sqlite_path
from onepiece.state.db.errors import DatabaseDamaged, DatabaseUnavailable

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

SQLITE_MAGIC = b"SQLite format 3\x00"
_HINT = "restore the file from backup or move it aside (a new state database is then created)"


WAL_HEADER_BYTES = 32  # a WAL of only its header holds no pages


def sqlite_file_problem(path: Path) -> str | None:
    """What is wrong with a SQLite file on disk, judged from its header; None if whole."""
    try:
        with path.open("rb") as handle:
            header = handle.read(100)
            size = path.stat().st_size
    except FileNotFoundError:
        return None  # a new database is created
    except OSError as exc:
        return f"cannot be read ({exc.strerror})"
    if size == 0:
        return "is empty (0 bytes)"
    if len(header) < 100 or not header.startswith(SQLITE_MAGIC):
        return "is not a SQLite database (wrong header)"
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    # The header's page count is valid when its change counter matches (offset 92 vs 24).
    # With a WAL beside it, a checkpoint cut short (kill -9) leaves the header ahead
    # of the file's end and the missing pages in the WAL, which SQLite replays: the
    # integrity check that follows judges that state, not the header.
    wal = path.with_name(path.name + "-wal")
    wal_frames = wal.exists() and wal.stat().st_size > WAL_HEADER_BYTES
    if header[24:28] == header[92:96] and pages and size < pages * page_size and not wal_frames:
        return f"is truncated ({size} bytes, its header says {pages * page_size})"
    return None


def one_line_findings(findings: list[str]) -> list[str]:
    """SQLite's findings, one per line: a finding may hold several, under a
    ``*** in database main ***`` heading, and a reason is one line (a log
    line, a JSON field, an error's first line)."""
    lines = (line.strip() for finding in findings for line in finding.splitlines())
    return [line for line in lines if line and not line.startswith("***")]


def check_health(engine: Engine, *, integrity: bool = True) -> tuple[bool, str]:
    """``(True, "ok")``, or ``(False, reason)`` naming the database and what is wrong.

    ``integrity=False`` skips SQLite's page walk (``quick_check`` reads the whole
    file): the header and the schema page are still checked. For frequent
    checks such as ``/health``."""
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    from onepiece.state.db.damage import damage_of

    seen = damage_of(engine)  # while in use: sticky for this process
    if seen is not None:
        return False, seen
    where = describe(engine.url)
    path = sqlite_path(engine.url)
    if path is not None:
        problem = sqlite_file_problem(path)
        if problem:
            return False, f"state database {path} {problem}"
        where = str(path)
    try:
        with reading(engine) as connection:
            if connection.dialect.name != "sqlite":
                connection.execute(text("SELECT 1"))
                return True, "ok"
            if not integrity:
                connection.exec_driver_sql("SELECT count(*) FROM sqlite_master").scalar()
                return True, "ok"
            try:
                rows = connection.exec_driver_sql("PRAGMA quick_check").fetchall()
                findings = [str(row[0]) for row in rows]
            except SQLAlchemyError as exc:  # a page too broken to walk
                findings = [_first_line(exc)]
            if findings != ["ok"]:
                return False, f"state database {where} fails its integrity check: " + (
                    "; ".join(one_line_findings(findings)[:3])
                )
    except SQLAlchemyError as exc:
        return False, f"state database {where} cannot be opened: {_first_line(exc)}"
    return True, "ok"


def _first_line(exc: Exception) -> str:
    return str(getattr(exc, "orig", None) or exc).splitlines()[0]


def access_problem(engine: Engine) -> str | None:
    """Why this process cannot write a SQLite file that may well be whole: a
    read-only file system, the file or its folder not writable (SQLite keeps
    ``-wal`` and ``-shm`` files beside it). Not damage: nothing to restore."""
    path = sqlite_path(engine.url)
    if path is None or not path.exists():
        return None
    try:
        if os.statvfs(path.parent).f_flag & os.ST_RDONLY:
            return "is on a read-only file system"
    except OSError:
        return None
    if not os.access(path, os.R_OK | os.W_OK):
        return "cannot be written by this user"
    if not os.access(path.parent, os.W_OK | os.X_OK):
        return (
            "is in a folder this user cannot write (SQLite creates its -wal and -shm files there)"
        )
    return None


ACCESS_HINT = (
    "let OnePiece write the file and its folder, or point ONEPIECE_DATA_DIR or "
    "ONEPIECE_DATABASE_URL at a writable place (the file itself may be fine: do not replace it)"
)


def ensure_healthy(engine: Engine) -> None:
    """Raise ``DatabaseDamaged`` (SQLite) or ``DatabaseUnavailable`` (a server,
    or a SQLite file this process cannot write), one line naming the database,
    unless it is healthy."""
    ok, reason = check_health(engine)
    if ok:
        return
    access = access_problem(engine)
    if access is not None:
        raise DatabaseUnavailable(
            f"state database {sqlite_path(engine.url)} {access}", hint=ACCESS_HINT
        )
    if sqlite_path(engine.url) is not None:
        raise DatabaseDamaged(reason, hint=_HINT)
    raise DatabaseUnavailable(
        reason, hint="check ONEPIECE_DATABASE_URL and that the database server is running"
    )
