"""Index idempotency keys by the time they were claimed.

Keys are forgotten a day after their claim (``IDEMPOTENCY_KEY_HOURS``) by the
render history's retention look, at most once a second per process: without
this index each look read the whole table, which grew by one row per keyed
submit and was never pruned before.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_idempotency_keys_claimed_at", "idempotency_keys", ["claimed_at"])


def downgrade() -> None:
    op.drop_index("ix_idempotency_keys_claimed_at", table_name="idempotency_keys")
