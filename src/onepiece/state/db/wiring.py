"""Which store keeps each record: always the state database (the default
SQLite ``state.db`` in the data directory, or the ``ONEPIECE_DATABASE_URL``
one). The JSON files of earlier versions are import sources only: they are
read once when the database is first prepared (docs/decisions.md). The
container asks this module; services see only the ports.
"""

from __future__ import annotations

from dataclasses import replace
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

        # The render history stays its own file: importing it now would mark it
        # done and leave the jobs recorded after today behind when it moves.
        sources = replace(LegacySources.from_settings(self.settings), render_jobs=None)
        return StateDatabase(database_url(self.settings), sources)

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

    def poller_lease(self) -> Lease:
        """One poller per render history: a PostgreSQL advisory lock, else a file
        lock beside the history (state.db.leases)."""
        from onepiece.state.db.leases import FileLease, PgAdvisoryLease

        history = self.settings.render_jobs_path.resolve()
        if self.on_postgresql:
            return PgAdvisoryLease(self.database.engine, f"render-poller:{history}")
        return FileLease(history.with_name(history.name + ".poller.lock"))

    def announce(self, topic: str) -> None:
        """Tell the other processes on this PostgreSQL that ``topic`` changed."""
        if self.on_postgresql:
            from onepiece.state.db.notify import PgNotifier

            PgNotifier(self.database.engine).notify(topic)

    def close(self) -> None:
        if "database" in self.__dict__:
            self.database.dispose()
