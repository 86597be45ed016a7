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
    schema_state,
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


_PREPARE_TWICE = """
import sys
from onepiece.state.db.engine import create_state_engine
from onepiece.state.db.startup import prepare
engine = create_state_engine(sys.argv[1])
applied = prepare(engine, None).applied
print(len(applied), "alembic" in sys.modules)
"""


def test_a_current_database_is_checked_without_loading_the_migrations(db_url: str) -> None:
    """Every command prepares the database; only one that needs migrating pays for Alembic."""

    def prepare_in_a_new_process() -> str:
        argv = [sys.executable, "-c", _PREPARE_TWICE, db_url]
        return subprocess.run(argv, capture_output=True, text=True, check=True).stdout.split()

    assert prepare_in_a_new_process() == [str(len(upgrade_plan()[1])), "True"]  # created
    assert prepare_in_a_new_process() == ["0", "False"]  # already current


def test_migrated_database_matches_the_schema_module(engine: Engine) -> None:
    """schema.py and the migrations describe the same tables, columns and indexes."""
    with engine.connect() as connection:
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
