"""The state database: everything OnePiece remembers outside the tracker, in one place.

SQLite (``<data_dir>/state.db``) by default, PostgreSQL with
``ONEPIECE_DATABASE_URL=postgresql://...`` (docs/database.md). Modules:

- ``engine``: the URL setting and engines (WAL, busy timeout, foreign keys);
- ``schema``: the tables (SQLAlchemy Core); ``migrations/``: Alembic versions;
- ``migrate``: ``upgrade``, ``schema_state``, ``check_schema``;
- ``health``: ``check_health`` / ``ensure_healthy`` (damaged files are reported);
- ``ports``: the store Protocols; ``records``, ``caches``, ``idempotency``,
  ``event_log``: their SQLAlchemy implementations;
- ``legacy``: one-time import of the JSON files of earlier versions;
- ``startup``: ``prepare`` = all of the above in order; ``service``: one
  process's database, prepared once; ``wiring``: which store (database or
  file) keeps each record; ``adapters``: the run store behind the file
  registry's API; ``leases``: the render poller's lease; ``notify``:
  PostgreSQL wake-ups between processes.

Nothing here is imported by ``onepiece --help``; SQLAlchemy loads on first use.
"""
