"""Versioned schema migrations (Alembic, driven from code) and the schema check.

``upgrade`` brings a database to the newest schema this code knows, in one
transaction; on PostgreSQL an advisory lock makes several workers starting at
once take turns (the later ones find nothing to do). An empty database is
created whole from the schema module and stamped with the newest revision
(Alembic's recipe for a database built from scratch), without importing
Alembic: every first command on a new machine, and every new data directory,
would otherwise pay about 0.1 s importing Alembic, Mako and Pygments. The
migrations bring older databases forward; a test holds both paths to the same
schema on both backends. ``check_schema`` is what
a service calls at start-up: a schema newer than the code refuses with one
line (an older release must not write into tables it does not understand).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from onepiece.state.db.engine import describe, reading
from onepiece.state.db.errors import DatabaseUnavailable, SchemaOutdated, SchemaTooNew

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from sqlalchemy.engine import Connection, Engine

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# The newest revision in MIGRATIONS_DIR (a test holds the two together). A
# database already at it is checked without importing Alembic, which costs
# every command about a third of a second of start-up.
HEAD_REVISION = "0003"
# pg_advisory_xact_lock key shared by migrations and imports ("OP" "DB").
ADVISORY_LOCK_KEY = 0x4F50_4442


@dataclass(frozen=True)
class SchemaState:
    current: str | None  # revision in the database, None when empty
    head: str  # newest revision this code knows
    pending: list[str]  # revisions an upgrade would apply, oldest first
    known: bool  # False: the database is at a revision this code does not know

    @property
    def up_to_date(self) -> bool:
        return self.known and not self.pending


def _config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def _scripts() -> ScriptDirectory:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config())


def _recorded_revisions(connection: Connection) -> list[str]:
    """What ``alembic_version`` holds (empty when the table is absent), read with plain SQL."""
    from sqlalchemy import inspect, text

    if not inspect(connection).has_table("alembic_version"):
        return []
    rows = connection.execute(text("SELECT version_num FROM alembic_version"))
    return [str(row[0]) for row in rows]


def shipped_revisions() -> list[str]:
    """Every shipped revision, oldest first, from the migrations' file names
    (``0001_initial.py``...) without importing Alembic; a test holds it to Alembic's plan."""
    files = (MIGRATIONS_DIR / "versions").glob("[0-9][0-9][0-9][0-9]_*.py")
    return sorted(path.name[:4] for path in files)


def schema_state(connection: Connection) -> SchemaState:
    recorded = _recorded_revisions(connection)
    if recorded == [HEAD_REVISION]:  # the usual case: nothing to plan, Alembic not imported
        return SchemaState(HEAD_REVISION, HEAD_REVISION, [], known=True)
    if not recorded:  # empty: created whole (``upgrade``), Alembic not imported either
        return SchemaState(None, HEAD_REVISION, shipped_revisions(), known=True)
    from alembic.script.revision import RevisionError
    from alembic.util.exc import CommandError

    scripts = _scripts()
    head = scripts.get_current_head()
    assert head is not None, "the shipped migrations have one head"
    current = recorded[0] if recorded else None
    try:
        if current is not None:
            scripts.get_revision(current)
    except (RevisionError, CommandError):  # a revision a newer OnePiece wrote
        return SchemaState(current, head, [], known=False)
    revisions = scripts.iterate_revisions(head, current or "base")
    pending = [r.revision for r in reversed(list(revisions))]
    return SchemaState(current, head, pending, known=True)


def upgrade_plan() -> tuple[str, list[str]]:
    """(head, every revision oldest first): what an empty database needs."""
    scripts = _scripts()
    head = scripts.get_current_head()
    assert head is not None, "the shipped migrations have one head"
    revisions = scripts.iterate_revisions(head, "base")
    return head, [r.revision for r in reversed(list(revisions))]


def _too_new(engine: Engine, state: SchemaState) -> SchemaTooNew:
    where = f"state database {describe(engine.url)} has schema revision {state.current}"
    if not re.match(r"\d{4}", str(state.current)):  # ours are numbered 0001, 0002...
        return SchemaTooNew(
            f"{where}: newer than this OnePiece knows (up to {state.head}), or another "
            "application's",
            hint="upgrade OnePiece on this machine, or give OnePiece a database of its own",
        )
    return SchemaTooNew(
        f"{where}, newer than this OnePiece knows (up to {state.head})",
        hint="upgrade OnePiece on this machine, or point ONEPIECE_DATABASE_URL elsewhere",
    )


def _refuse_foreign_tables(engine: Engine, connection: Connection) -> None:
    """A database without our schema that holds tables of our names is another
    application's: creating ours would fail half-way, or mix records."""
    from sqlalchemy import inspect

    from onepiece.state.db.schema import metadata

    clash = sorted(set(inspect(connection).get_table_names()) & set(metadata.tables))
    if clash:
        raise DatabaseUnavailable(
            f"state database {describe(engine.url)} holds tables of another application "
            f"({', '.join(clash[:4])}) and no OnePiece schema",
            hint="give OnePiece a database of its own (ONEPIECE_DATABASE_URL)",
        )


@contextmanager
def locked_transaction(engine: Engine) -> Iterator[Connection]:
    """One transaction; on PostgreSQL serialised with other migrators/importers."""
    from sqlalchemy import text

    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY}
            )
        yield connection


def check_schema(engine: Engine, *, require_current: bool = False) -> SchemaState:
    """Refuse a schema newer than the code (``SchemaTooNew``); with
    ``require_current``, also one that still needs ``onepiece db upgrade``."""
    with reading(engine) as connection:
        state = schema_state(connection)
    if not state.known:
        raise _too_new(engine, state)
    if require_current and state.pending:
        raise SchemaOutdated(
            f"state database {describe(engine.url)} needs {len(state.pending)} migration(s)",
            hint="run: onepiece db upgrade",
        )
    return state


def upgrade(engine: Engine, *, dry_run: bool = False) -> list[str]:
    """Apply pending migrations (oldest first) and return their revisions."""
    with locked_transaction(engine) as connection:
        state = schema_state(connection)
        if not state.known:
            raise _too_new(engine, state)
        if dry_run or not state.pending:
            return state.pending
        if state.current is None:
            _refuse_foreign_tables(engine, connection)
            _create_whole(connection)
            return state.pending
        migrate_with_alembic(connection)
    return state.pending


def migrate_with_alembic(connection: Connection) -> None:
    """Apply the pending migrations one by one (from empty too: the tests compare)."""
    from alembic import command

    command.upgrade(_config(connection), "head")


def _create_whole(connection: Connection) -> None:
    """The newest schema at once, stamped as Alembic stamps it (same table, same key)."""
    from sqlalchemy import Column, MetaData, PrimaryKeyConstraint, String, Table

    from onepiece.state.db.schema import metadata

    metadata.create_all(connection)
    version = Table(
        "alembic_version",
        MetaData(),
        Column("version_num", String(32), nullable=False),
        PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
    )
    version.create(connection)
    connection.execute(version.insert().values(version_num=HEAD_REVISION))


def describe_revisions(revisions: list[str]) -> list[dict[str, str]]:
    """Revision ids with their one-line descriptions, for ``db status``/``--dry-run``."""
    scripts = _scripts()
    described = []
    for revision in revisions:
        script = scripts.get_revision(revision)
        doc = (script.doc or "") if script is not None else ""
        described.append({"revision": revision, "description": doc.strip()})
    return described
