"""Migrations from empty on both backends; the schema check refuses a newer schema."""

from __future__ import annotations

import subprocess
import sys

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Engine

from onepiece.state.db.errors import SchemaOutdated, SchemaTooNew
from onepiece.state.db.migrate import (
    HEAD_REVISION,
    check_schema,
    locked_transaction,
    migrate_with_alembic,
    schema_state,
    shipped_revisions,
    upgrade,
    upgrade_plan,
)
from onepiece.state.db.schema import metadata


def test_upgrade_from_empty_creates_the_whole_schema(empty_engine: Engine) -> None:
    head, revisions = upgrade_plan()
    assert upgrade(empty_engine) == revisions
    tables = set(sa.inspect(empty_engine).get_table_names())
    assert set(metadata.tables) <= tables
    with empty_engine.connect() as connection:
        state = schema_state(connection)
    assert (state.current, state.pending, state.known) == (head, [], True)


def test_the_head_revision_constant_is_the_newest_migration() -> None:
    """A new migration must move HEAD_REVISION too, or databases would stop at the old one."""
    assert upgrade_plan()[0] == HEAD_REVISION
    assert shipped_revisions() == upgrade_plan()[1]  # what an empty database reports applied


def _schema_of(engine: Engine) -> dict[str, object]:
    """Every table's columns, keys, indexes and, on SQLite, AUTOINCREMENT, as reflected."""
    inspector = sa.inspect(engine)
    described: dict[str, object] = {}
    for table in sorted(inspector.get_table_names()):
        columns = [
            (c["name"], str(c["type"]), c["nullable"], str(c.get("default")))
            for c in inspector.get_columns(table)
        ]
        indexes = sorted(
            (i["name"], tuple(i["column_names"]), bool(i["unique"]))
            for i in inspector.get_indexes(table)
        )
        described[table] = (
            columns,
            inspector.get_pk_constraint(table),
            indexes,
            sorted(str(u) for u in inspector.get_unique_constraints(table)),
        )
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            rows = connection.exec_driver_sql("SELECT name, sql FROM sqlite_master")
            described["autoincrement"] = sorted(
                name for name, sql in rows if sql and "AUTOINCREMENT" in sql
            )
    return described


def _drop_everything(engine: Engine) -> None:
    with engine.begin() as connection:
        for table in reversed(sa.inspect(connection).get_table_names()):
            connection.exec_driver_sql(f'DROP TABLE "{table}"')
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("DELETE FROM sqlite_sequence")


def test_a_database_created_whole_equals_one_migrated_step_by_step(
    empty_engine: Engine,
) -> None:
    """An empty database is created from schema.py and stamped; one brought through
    every migration from the first must end with exactly the same schema."""
    assert upgrade(empty_engine) == shipped_revisions()
    created = _schema_of(empty_engine)
    _drop_everything(empty_engine)
    with locked_transaction(empty_engine) as connection:
        migrate_with_alembic(connection)
    assert _schema_of(empty_engine) == created
    with empty_engine.connect() as connection:
        assert schema_state(connection).current == HEAD_REVISION


_PREPARE_TWICE = """
import sys
from onepiece.state.db.engine import create_state_engine
from onepiece.state.db.startup import prepare
engine = create_state_engine(sys.argv[1])
applied = prepare(engine, None).applied
print(len(applied), "alembic" in sys.modules)
"""


def test_a_new_or_current_database_is_prepared_without_loading_alembic(db_url: str) -> None:
    """Every command prepares the database; creating it or finding it current
    never imports Alembic (only bringing an older one forward does)."""

    def prepare_in_a_new_process() -> str:
        argv = [sys.executable, "-c", _PREPARE_TWICE, db_url]
        return subprocess.run(argv, capture_output=True, text=True, check=True).stdout.split()

    assert prepare_in_a_new_process() == [str(len(upgrade_plan()[1])), "False"]  # created
    assert prepare_in_a_new_process() == ["0", "False"]  # already current


def test_migrated_database_matches_the_schema_module(empty_engine: Engine) -> None:
    """schema.py and the migrations describe the same tables, columns and indexes."""
    with locked_transaction(empty_engine) as connection:
        migrate_with_alembic(connection)
    with empty_engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)
    assert differences == []


def test_second_upgrade_applies_nothing(engine: Engine) -> None:
    assert upgrade(engine) == []


def test_dry_run_lists_pending_and_changes_nothing(empty_engine: Engine) -> None:
    _, revisions = upgrade_plan()
    assert upgrade(empty_engine, dry_run=True) == revisions
    assert "alembic_version" not in sa.inspect(empty_engine).get_table_names()
    assert not set(metadata.tables) & set(sa.inspect(empty_engine).get_table_names())


def _stamp(engine: Engine, revision: str) -> None:
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = :r"), {"r": revision})


def test_newer_schema_is_refused_in_one_line(engine: Engine) -> None:
    _stamp(engine, "9999_from_the_future")
    with pytest.raises(SchemaTooNew) as caught:
        check_schema(engine)
    message = caught.value.message
    assert "9999_from_the_future" in message and "newer than this OnePiece" in message
    assert "\n" not in message
    assert caught.value.hint and "upgrade OnePiece" in caught.value.hint
    with pytest.raises(SchemaTooNew):
        upgrade(engine)
    with engine.connect() as connection:  # refused, not rewritten
        assert schema_state(connection).current == "9999_from_the_future"


def test_outdated_schema_passes_unless_current_is_required(empty_engine: Engine) -> None:
    assert check_schema(empty_engine).pending  # empty: an upgrade would apply migrations
    with pytest.raises(SchemaOutdated) as caught:
        check_schema(empty_engine, require_current=True)
    assert caught.value.hint == "run: onepiece db upgrade"


def test_password_never_appears_in_messages() -> None:
    engine = sa.create_engine("postgresql+psycopg://op:s3cret-pw@127.0.0.1:1/state")
    from onepiece.state.db.engine import describe

    assert "s3cret-pw" not in describe(engine.url)
    engine.dispose()


def test_a_database_of_the_previous_release_is_brought_current_with_its_jobs(
    empty_engine: Engine,
) -> None:
    """A state database written at revision 0001 (the first release) keeps its
    jobs through every later migration, applied by start-up's prepare."""
    from alembic import command

    from onepiece.state.db.migrate import _config, locked_transaction
    from onepiece.state.db.startup import prepare

    with locked_transaction(empty_engine) as connection:
        command.upgrade(_config(connection), "0001")
    row = {"id": "old", "farm": "local", "status": "succeeded", "finished": True,
           "submitted_at": 1.0, "data": {"id": "old"}}  # fmt: skip
    with empty_engine.begin() as connection:
        connection.execute(sa.insert(metadata.tables["render_jobs"]), row)
    _, revisions = upgrade_plan()
    assert prepare(empty_engine, None).applied == revisions[1:]
    with empty_engine.connect() as connection:
        assert schema_state(connection).pending == []
        assert connection.execute(sa.text("SELECT id FROM render_jobs")).scalars().all() == ["old"]
    indexes = {index["name"] for index in sa.inspect(empty_engine).get_indexes("render_jobs")}
    assert "ix_render_jobs_finished_seq" in indexes
