"""Index the render history's finished jobs in submit order.

At the history limit every submit removes the oldest finished job. Without
this index both backends found it by sorting every finished job (the
``finished, submitted_at`` index does not give ``seq`` order), so a submit
to a full history cost time in proportion to its size.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_render_jobs_finished_seq", "render_jobs", ["finished", "seq"])


def downgrade() -> None:
    op.drop_index("ix_render_jobs_finished_seq", table_name="render_jobs")
