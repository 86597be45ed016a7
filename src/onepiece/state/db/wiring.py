"""Which store keeps each record: always the state database (the default
SQLite ``state.db`` in the data directory, or the ``ONEPIECE_DATABASE_URL``
one). The JSON files of earlier versions are import sources only: they are
read once when the database is first prepared (docs/decisions.md). The
container asks this module; services see only the ports.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from onepiece.config import Settings
    from onepiece.state.db.flushes import SharedCacheFlushes
    from onepiece.state.db.leases import Lease
    from onepiece.state.db.notify import PgNotifier
    from onepiece.state.db.ports import (
        DeliveryStore,
        IdempotencyStore,
        MediaFactsStore,
        ProjectRegistryStore,
        ReconcileStore,
    )
    from onepiece.state.db.render_history import SqlRenderJobStore
    from onepiece.state.db.service import StateDatabase
    from onepiece.state.ingest_runs import RunRegistry
    from onepiece.state.runs_view import RunRegistryView


class StateStores:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @property
    def url_configured(self) -> bool:
        """A database URL is set (``ONEPIECE_DATABASE_URL`` / ``[database] url``);
        without one the default ``state.db`` in the data directory is used."""
        url = self.settings.database.url
        return url is not None and bool(url.get_secret_value().strip())

    @cached_property
    def database(self) -> StateDatabase:
        """Prepared (checked, migrated, old files imported) on first use of ``engine``."""
        from onepiece.state.db.engine import database_url
        from onepiece.state.db.legacy import LegacySources
        from onepiece.state.db.service import StateDatabase

        # Every earlier file is imported once, the render history's included.
        database = StateDatabase(
            database_url(self.settings), LegacySources.from_settings(self.settings)
        )
        if self.settings.trafalgar.render_jobs_sync == "full":
            from onepiece.state.db.engine import fsync_every_commit

            fsync_every_commit(database.raw_engine)
        return database

    @property
    def on_postgresql(self) -> bool:
        return self.database.backend == "postgresql"

    def run_registry(self) -> RunRegistry:
        from onepiece.state.db.adapters import DbIngestRunRegistry
        from onepiece.state.db.records import SqlIngestRunStore

        # The store is built on first use, so a command that never records a run
        # (a dry run) never creates or prepares the database.
        return DbIngestRunRegistry(
            lambda: SqlIngestRunStore(self.database.engine),
            self.settings.ingest_registry_path,
        )

    def runs_view(self) -> RunRegistryView:
        from onepiece.state.db.adapters import DbRunRegistryView
        from onepiece.state.db.records import SqlIngestRunStore

        return DbRunRegistryView(SqlIngestRunStore(self.database.engine))

    def deliveries(self) -> DeliveryStore:
        from onepiece.state.db.records import SqlDeliveryStore

        return SqlDeliveryStore(self.database.engine)

    def reconcile_results(self) -> ReconcileStore:
        from onepiece.state.db.records import SqlReconcileStore

        return SqlReconcileStore(self.database.engine)

    def dashboard_stores(self) -> tuple[ProjectRegistryStore, MediaFactsStore]:
        """The project list's and media facts' stores."""
        from onepiece.state.db.caches import SqlMediaFactsStore, SqlProjectRegistryStore

        engine = self.database.engine
        return SqlProjectRegistryStore(engine), SqlMediaFactsStore(engine)

    def idempotency(self) -> IdempotencyStore:
        """Always in the state database (the default SQLite file without a URL)."""
        from onepiece.state.db.idempotency import SqlIdempotencyStore

        return SqlIdempotencyStore(self.database.engine)

    def render_jobs(self) -> SqlRenderJobStore:
        """The render history: always in the state database (state.db.render_history)."""
        from onepiece.state.db.render_history import SqlRenderJobStore

        trafalgar = self.settings.trafalgar
        return SqlRenderJobStore(
            self.database.engine,
            history_limit=trafalgar.render_jobs_history_limit,
            retention_hours=trafalgar.render_jobs_retention_hours,
        )

    def poller_lease(self) -> Lease:
        """One poller per state database (which holds the render history): a
        PostgreSQL advisory lock, else a file lock beside the SQLite file."""
        from onepiece.state.db.engine import sqlite_path
        from onepiece.state.db.leases import FileLease, PgAdvisoryLease

        if self.database.backend == "postgresql":
            return PgAdvisoryLease(self.database.engine, "render-poller")
        path = sqlite_path(self.database.engine.url) or self.settings.state_db_path
        return FileLease(path.resolve().with_name(path.name + ".poller.lock"))

    def local_poller_lease(self, host: str) -> Lease | None:
        """Who checks this host's local farm jobs, among its processes on a shared
        PostgreSQL; None: the poller (one host's SQLite file)."""
        from onepiece.state.db.leases import PgAdvisoryLease

        if self.database.backend != "postgresql":
            return None
        return PgAdvisoryLease(self.database.engine, f"render-poller:local:{host}")

    @cached_property
    def cache_flushes(self) -> SharedCacheFlushes | None:
        """Cache flushes shared by ``serve --workers N`` (N > 1); None: one process."""
        if self.settings.trafalgar.workers < 2:
            return None
        from onepiece.state.db.flushes import SharedCacheFlushes

        return SharedCacheFlushes(self.database.engine)

    def announce(self, topic: str) -> None:
        """Tell the other processes (workers, other hosts on PostgreSQL) that ``topic`` changed."""
        if topic == "cache" and self.cache_flushes is not None:
            self.cache_flushes.flushed()
        if self.on_postgresql:
            self.notifier.notify(topic)

    @cached_property
    def notifier(self) -> PgNotifier:
        """One per process: it folds a burst of changes into one ``NOTIFY``."""
        from onepiece.state.db.notify import PgNotifier

        return PgNotifier(self.database.engine)

    def close(self) -> None:
        if "database" in self.__dict__:
            self.database.dispose()
