"""Which earlier-version files a database has imported: one ``imports`` row per
source kind, listing every file imported into it, by host and path.

A file is imported once into a database, whichever process gets there first;
another host's file of the same kind (its own ingest-runs.json, on a second
machine moving onto a shared PostgreSQL) is a file of its own and is imported
too; a file that did not exist is not recorded, so one that appears later (a
history path configured after the first command) is imported when it does.
Rows written before sources were listed name one path and no host: that path
counts as imported on every host.
"""

from __future__ import annotations

import socket
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from onepiece.state.db import schema
from onepiece.state.db.sql import upsert


def source_id(path: Path) -> str:
    """A file as the ledger names it: the host that read it, and its path there."""
    return f"{socket.gethostname()}:{path}"


def imported(connection: Connection, name: str, path: Path) -> bool:
    """Has ``path`` (on this host) been imported as ``name`` into this database?"""
    row = _row(connection, name)
    if row is None:
        return False
    sources = dict(row.counts).get("sources")
    if sources is None:  # a row from before sources were listed
        return bool(row.source == str(path))
    return source_id(path) in sources


def record(connection: Connection, name: str, path: Path, counts: dict[str, Any]) -> None:
    """Note ``path`` as imported, with what it gave, beside earlier sources of ``name``."""
    row = _row(connection, name)
    earlier = dict(row.counts) if row is not None else {}
    sources = list(earlier.get("sources") or ([] if row is None else [row.source]))
    merged = {
        **counts,
        "records": int(earlier.get("records") or 0) + int(counts.get("records") or 0),
        "sources": [*sources, source_id(path)],
    }
    values = {
        "name": name,
        "source": str(path),  # the latest; "sources" lists them all
        "imported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "counts": merged,
    }
    upsert(connection, schema.imports, values, ["name"])


def _row(connection: Connection, name: str) -> Any:
    table = schema.imports
    return connection.execute(select(table).where(table.c.name == name)).first()
