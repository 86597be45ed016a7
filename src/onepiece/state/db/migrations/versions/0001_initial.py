"""The first state database schema: every store of docs/database.md.

Revision ID: 0001
Revises:
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "render_jobs",
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("id", sa.String(200), nullable=False),
        sa.Column("farm", sa.String(200), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("finished", sa.Boolean(), nullable=False),
        sa.Column("submitted_at", sa.Float(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_render_jobs"),
        sa.UniqueConstraint("id", name="uq_render_jobs_id"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_render_jobs_status_seq", "render_jobs", ["status", "seq"])
    op.create_index("ix_render_jobs_farm_seq", "render_jobs", ["farm", "seq"])
    op.create_index(
        "ix_render_jobs_finished_submitted_at", "render_jobs", ["finished", "submitted_at"]
    )

    op.create_table(
        "ingest_runs",
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("id", sa.String(200), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("host", sa.String(255), nullable=True),
        sa.Column("pid", sa.Integer(), nullable=True),
        sa.Column("started_at", sa.String(40), nullable=True),
        sa.Column("updated_at", sa.String(40), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_ingest_runs"),
        sa.UniqueConstraint("id", name="uq_ingest_runs_id"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_ingest_runs_status_seq", "ingest_runs", ["status", "seq"])

    op.create_table(
        "deliveries",
        sa.Column("id", sa.String(200), nullable=False),
        sa.Column("project", sa.String(200), nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_deliveries"),
    )
    op.create_index("ix_deliveries_project_created_at", "deliveries", ["project", "created_at"])

    op.create_table(
        "reconcile_results",
        sa.Column("project", sa.String(200), nullable=False),
        sa.Column("scope", sa.String(64), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("at", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("project", "scope", name="pk_reconcile_results"),
    )

    op.create_table(
        "projects",
        sa.Column("code", sa.String(200), nullable=False),
        sa.Column("name", sa.String(500), nullable=False),
        sa.Column("configured", sa.Boolean(), nullable=False),
        sa.Column("in_tracker", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("code", name="pk_projects"),
    )

    op.create_table(
        "media_facts",
        sa.Column("path", sa.String(4096), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("mtime_ns", sa.BigInteger(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("path", name="pk_media_facts"),
    )

    op.create_table(
        "idempotency_keys",
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("request_hash", sa.String(128), nullable=False),
        sa.Column("job_id", sa.String(200), nullable=True),
        sa.Column("claimed_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_idempotency_keys"),
    )

    op.create_table(
        "events",
        sa.Column("id", _BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("topic", sa.String(100), nullable=False),
        sa.Column("type", sa.String(100), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_events"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_events_topic_id", "events", ["topic", "id"])

    op.create_table(
        "counters",
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_counters"),
    )

    op.create_table(
        "state_meta",
        sa.Column("key", sa.String(100), nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("key", name="pk_state_meta"),
    )

    op.create_table(
        "imports",
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("imported_at", sa.String(40), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_imports"),
    )


def downgrade() -> None:
    for table in (
        "imports",
        "state_meta",
        "counters",
        "events",
        "idempotency_keys",
        "media_facts",
        "projects",
        "reconcile_results",
        "deliveries",
        "ingest_runs",
        "render_jobs",
    ):
        op.drop_table(table)
