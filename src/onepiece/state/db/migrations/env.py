"""Alembic environment: runs on the connection handed over by onepiece.state.db.migrate.

No alembic.ini and no logging setup of its own: OnePiece drives Alembic from
code (``onepiece db upgrade``) and keeps its own logging.
"""

from __future__ import annotations

from alembic import context

from onepiece.state.db.schema import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    transaction_per_migration=False,
)
with context.begin_transaction():
    context.run_migrations()
