"""The state database's tables (SQLAlchemy Core), one schema for SQLite and PostgreSQL.

Migrations under ``migrations/versions`` create exactly these tables;
``tests/integration/state_db/test_migrations.py`` compares the two on both
backends, so a change here needs a new migration.

Records keep their full JSON document (``data``) beside the columns that are
filtered or ordered on, so a field added to a record needs no migration.
Timestamps are ISO 8601 UTC strings where the file formats used them (they
sort as text) and epoch seconds where the render history did.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

# Named constraints: migrations on both backends can refer to them. Tables with
# a sequence id use sqlite_autoincrement so SQLite never reuses an id after the
# newest row is deleted (PostgreSQL sequences never do).
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# Render history (state.db.render_history; seq orders it and pages it).
render_jobs = Table(
    "render_jobs",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("id", String(200), nullable=False, unique=True),
    Column("farm", String(200), nullable=False),
    Column("status", String(32), nullable=False),
    Column("finished", Boolean, nullable=False),
    Column("submitted_at", Float, nullable=False),
    Column("data", JSON, nullable=False),
    Index(None, "status", "seq"),
    Index(None, "farm", "seq"),
    Index(None, "finished", "submitted_at"),  # retention: finished before a cutoff
    Index(None, "finished", "seq"),  # the history limit: the oldest finished first
    sqlite_autoincrement=True,
)

# Ingest runs (docs/ingest_runs.md's records): seq keeps them oldest first.
ingest_runs = Table(
    "ingest_runs",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("id", String(200), nullable=False, unique=True),
    Column("status", String(32), nullable=False),
    Column("host", String(255), nullable=True),
    Column("pid", Integer, nullable=True),
    Column("started_at", String(40), nullable=True),
    Column("updated_at", String(40), nullable=True),
    Column("data", JSON, nullable=False),
    Index(None, "status", "seq"),
    sqlite_autoincrement=True,
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", String(200), primary_key=True),
    Column("project", String(200), nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("data", JSON, nullable=False),
    Index(None, "project", "created_at"),
)

# The latest reconciliation per (project, scope).
reconcile_results = Table(
    "reconcile_results",
    metadata,
    Column("project", String(200), primary_key=True),
    Column("scope", String(64), primary_key=True),
    Column("total", Integer, nullable=False),
    Column("summary", JSON, nullable=False),
    Column("at", String(40), nullable=False),
)

# The dashboard's project registry; its sync time lives in state_meta.
projects = Table(
    "projects",
    metadata,
    Column("code", String(200), primary_key=True),
    Column("name", String(500), nullable=False),
    Column("configured", Boolean, nullable=False),
    Column("in_tracker", Boolean, nullable=False),
)

# Derived media facts (clip durations), keyed by path and file fingerprint.
media_facts = Table(
    "media_facts",
    metadata,
    Column("path", String(4096), primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("mtime_ns", BigInteger, nullable=False),
    Column("seconds", Float, nullable=True),
)

# POST /jobs Idempotency-Key: the primary key makes concurrent claims race safely.
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("key", String(255), primary_key=True),
    Column("request_hash", String(128), nullable=False),
    Column("job_id", String(200), nullable=True),
    Column("claimed_at", Float, nullable=False),
    Index(None, "claimed_at"),  # keys are forgotten a day after their claim
)

# Events with database-generated ids, for Last-Event-ID replay on any worker.
events = Table(
    "events",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("topic", String(100), nullable=False),
    Column("type", String(100), nullable=False),
    Column("data", JSON, nullable=False),
    Column("created_at", Float, nullable=False),
    Index(None, "topic", "id"),
    sqlite_autoincrement=True,
)

# Counters kept in the same transactions as the rows they count (history size...).
counters = Table(
    "counters",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

# Small facts about the state itself (project registry sync time, ...).
state_meta = Table(
    "state_meta",
    metadata,
    Column("key", String(100), primary_key=True),
    Column("value", Text, nullable=True),
)

# Legacy files imported once (docs/database.md "Carrying over existing data").
imports = Table(
    "imports",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("source", Text, nullable=False),
    Column("imported_at", String(40), nullable=False),
    Column("counts", JSON, nullable=False),
)
