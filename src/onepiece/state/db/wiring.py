"""Which store keeps each record: the state database once a URL is set, else
the JSON files of earlier versions (docs/decisions.md). The container asks
this module; services see only the ports.
"""

from __future__ import annotations

from dataclasses import replace
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

        sources = None  # while the files are the live store, nothing is imported
        if self.in_database:
            # The render history stays its own file: importing it now would mark it
            # done and leave the jobs recorded after today behind when it moves.
            sources = replace(LegacySources.from_settings(self.settings), render_jobs=None)
        return StateDatabase(database_url(self.settings), sources)

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

    def poller_lease(self) -> Lease:
        """One poller per render history: a PostgreSQL advisory lock, else a file
        lock beside the history (state.db.leases)."""
        from onepiece.state.db.leases import FileLease, PgAdvisoryLease

        history = self.settings.render_jobs_path.resolve()
        if self.on_postgresql:
            return PgAdvisoryLease(self.database.engine, f"render-poller:{history}")
        return FileLease(history.with_name(history.name + ".poller.lock"))

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
