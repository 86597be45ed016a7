"""Which store keeps each record: the state database once a URL is set, else
the JSON files of earlier versions (docs/decisions.md). The container asks
this module; services see only the ports.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from onepiece.config import Settings
    from onepiece.state.db.leases import Lease
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
    def in_database(self) -> bool:
        """Records live in the state database once ``ONEPIECE_DATABASE_URL`` /
        ``[database] url`` is set; until then in the data directory's files."""
        url = self.settings.database.url
        return url is not None and bool(url.get_secret_value().strip())

    @cached_property
    def database(self) -> StateDatabase:
        """Prepared (checked, migrated, old files imported) on first use of ``engine``."""
        from onepiece.state.db.engine import database_url
        from onepiece.state.db.legacy import LegacySources
        from onepiece.state.db.service import StateDatabase

        # The render history always lives here: its old file is imported either way.
        sources = LegacySources.render_history_only(self.settings)
        if self.in_database:
            sources = LegacySources.from_settings(self.settings)
        database = StateDatabase(database_url(self.settings), sources)
        if self.settings.trafalgar.render_jobs_sync == "full":
            from onepiece.state.db.engine import fsync_every_commit

            fsync_every_commit(database.raw_engine)
        return database

    @property
    def on_postgresql(self) -> bool:
        return self.in_database and self.database.backend == "postgresql"

    def run_registry(self) -> RunRegistry:
        path = self.settings.ingest_registry_path
        if self.in_database:
            from onepiece.state.db.adapters import DbIngestRunRegistry
            from onepiece.state.db.records import SqlIngestRunStore

            return DbIngestRunRegistry(SqlIngestRunStore(self.database.engine), path)
        from onepiece.state.ingest_runs import IngestRunRegistry

        return IngestRunRegistry(path)

    def runs_view(self) -> RunRegistryView:
        if self.in_database:
            from onepiece.state.db.adapters import DbRunRegistryView
            from onepiece.state.db.records import SqlIngestRunStore

            return DbRunRegistryView(SqlIngestRunStore(self.database.engine))
        from onepiece.state.runs_view import RunRegistryView

        return RunRegistryView(self.settings.ingest_registry_path)

    def deliveries(self) -> DeliveryStore:
        if self.in_database:
            from onepiece.state.db.records import SqlDeliveryStore

            return SqlDeliveryStore(self.database.engine)
        from onepiece.state.deliveries import DeliveryRegistry

        return DeliveryRegistry(self.settings.delivery_registry_path)

    def reconcile_results(self) -> ReconcileStore:
        if self.in_database:
            from onepiece.state.db.records import SqlReconcileStore

            return SqlReconcileStore(self.database.engine)
        from onepiece.state.reconcile_results import ReconcileResults

        return ReconcileResults(self.settings.reconcile_results_path)

    def dashboard_stores(self) -> tuple[ProjectRegistryStore | None, MediaFactsStore | None]:
        """The project list's and media facts' stores; None: their files."""
        if not self.in_database:
            return None, None
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

    def announce(self, topic: str) -> None:
        """Tell the other processes on this PostgreSQL that ``topic`` changed."""
        if self.on_postgresql:
            from onepiece.state.db.notify import PgNotifier

            PgNotifier(self.database.engine).notify(topic)

    def close(self) -> None:
        if "database" in self.__dict__:
            self.database.dispose()
