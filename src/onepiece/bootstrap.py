"""Composition root: builds tracker, storage, farms and stores from settings.

The CLI and the web app both call ``bootstrap()``; tests call it with their
own settings. Adapters are imported only when first used, so nothing connects
(or imports a heavy SDK) until a command needs it.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, Any, cast

from onepiece.adapters.farms.base import Farm
from onepiece.adapters.storage.base import Storage
from onepiece.adapters.trackers.base import Tracker
from onepiece.config import Settings
from onepiece.errors import ConfigError

if TYPE_CHECKING:
    from pathlib import Path

    from onepiece.adapters.farms.registry import FarmRegistry
    from onepiece.events import Broker
    from onepiece.services.dashboard.service import DashboardService
    from onepiece.services.dashboard.sources import DashboardSources
    from onepiece.services.delivery.manifests import DeliveryManifests
    from onepiece.services.render.jobs import RenderJobService
    from onepiece.services.render.opencue_status import OpenCueStatusService, QueueSource
    from onepiece.state.db.event_feed import EventFeed
    from onepiece.state.db.notify import PgListener
    from onepiece.state.db.ports import DeliveryStore, IdempotencyStore, ReconcileStore
    from onepiece.state.db.service import StateDatabase
    from onepiece.state.db.wiring import StateStores
    from onepiece.state.ingest_runs import RunRegistry
    from onepiece.state.runs_view import RunRegistryView

log = logging.getLogger(__name__)

# backend name -> "module:factory"; each factory takes Settings.
TRACKERS = {
    "local": "onepiece.adapters.trackers.local.tracker:create",
    "shotgrid": "onepiece.adapters.trackers.shotgrid.tracker:create",
    "kitsu": "onepiece.adapters.trackers.kitsu.tracker:create",
}
STORAGES = {
    "local": "onepiece.adapters.storage.local.storage:create",
    "s3": "onepiece.adapters.storage.s3.storage:create",
}
FARMS = {
    "local": "onepiece.adapters.farms.local.farm:create",
    "mock": "onepiece.adapters.farms.mock:create",
    "opencue": "onepiece.adapters.farms.opencue.farm:create",
}


def load_factory(spec: str) -> Callable[..., Any]:
    module_name, _, attribute = spec.partition(":")
    module = importlib.import_module(module_name)
    return cast(Callable[..., Any], getattr(module, attribute))


def build_tracker(settings: Settings) -> Tracker:
    backend = settings.tracker_backend
    if backend not in TRACKERS:
        raise ConfigError(
            f"unknown tracker backend {backend!r}", hint=f"use one of {sorted(TRACKERS)}"
        )
    return cast(Tracker, load_factory(TRACKERS[backend])(settings))


def build_storage(settings: Settings) -> Storage:
    backend = settings.storage.backend
    if backend not in STORAGES:
        raise ConfigError(
            f"unknown storage backend {backend!r}", hint=f"use one of {sorted(STORAGES)}"
        )
    return cast(Storage, load_factory(STORAGES[backend])(settings))


def build_farms(settings: Settings) -> FarmRegistry:
    """The farms this process may use; each is built on first use (see FarmRegistry)."""
    from onepiece.adapters.farms.registry import FarmEntry, FarmRegistry

    render = settings.render
    entries = [
        FarmEntry("local", True, ""),
        FarmEntry(
            "mock",
            render.mock_enabled or render.default_farm == "mock",
            "the mock farm is a demo: set [render] mock_enabled = true to use it",
        ),
        FarmEntry(
            "opencue",
            bool(settings.opencue.hosts) or render.default_farm == "opencue",
            "set OPENCUE_HOSTS (host:port, comma-separated) and OPENCUE_DEFAULT_SHOW",
        ),
    ]

    def factory(spec: str) -> Callable[[], Farm]:
        return lambda: cast(Farm, load_factory(spec)(settings))

    return FarmRegistry(entries, {name: factory(spec) for name, spec in FARMS.items()})


def build_opencue_queue(settings: Settings) -> QueueSource:
    """The OpenCue farm as the queue source of the status service."""
    return cast("QueueSource", load_factory(FARMS["opencue"])(settings))


class Container:
    """Every long-lived object of one process (a CLI command or the web app).

    Each is built on first use, so a command pays only for what it touches and
    nothing connects at import time. ``start()`` starts the background work a
    long-running process needs (the web app calls it at start-up); ``close()``
    stops whatever was started or built, in reverse order of dependence.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @cached_property
    def tracker(self) -> Tracker:
        return build_tracker(self.settings)

    @cached_property
    def storage(self) -> Storage:
        return build_storage(self.settings)

    @cached_property
    def farms(self) -> FarmRegistry:
        return build_farms(self.settings)

    @cached_property
    def broker(self) -> Broker:
        from onepiece.events import Broker

        return Broker()

    @cached_property
    def render_jobs(self) -> RenderJobService:
        from onepiece.services.render.jobs import RenderJobService, host_identity

        store = self.stores.render_jobs()
        lease = self.stores.poller_lease()
        host = host_identity(self.settings.local_farm_root)
        local_lease = self.stores.local_poller_lease(host)
        service = RenderJobService(
            store, self.farms, self.settings.render, lease, host=host, local_lease=local_lease
        )
        service.announce = self._wake_feed  # other processes: the commit's NOTIFY
        return service

    @cached_property
    def event_feed(self) -> EventFeed:
        """Publishes the state database's event log (any process's writes) on the broker."""
        from onepiece.state.db import event_feed
        from onepiece.state.db.event_log import SqlEventLog

        interval = event_feed.SQLITE_POLL_SECONDS
        if self.stores.database.backend == "postgresql":
            interval = event_feed.PG_POLL_SECONDS
        log_ = SqlEventLog(self.stores.database.engine)
        return event_feed.EventFeed(log_, self.broker, self.event_topics, interval=interval)

    def _wake_feed(self) -> None:
        feed = self.__dict__.get("event_feed")  # only a started process has one
        if feed is not None:
            feed.wake()

    @property
    def event_topics(self) -> tuple[str, ...]:
        """Topics published from the event log (every process's writes)."""
        return ("jobs", "runs")

    @cached_property
    def listener(self) -> PgListener:
        """Wakes this process when another wrote (PostgreSQL only, state.db.notify)."""
        from onepiece.state.db.event_log import EVENTS_TOPIC
        from onepiece.state.db.notify import PgListener

        handlers = {
            EVENTS_TOPIC: self.event_feed.wake,
            "cache": lambda: self.dashboard.cache.flush(),
        }
        return PgListener(self.stores.database.engine, handlers)

    def announce(self, topic: str) -> None:
        """Tell the other processes on this database (PostgreSQL) that ``topic`` changed."""
        self.stores.announce(topic)

    @cached_property
    def dashboard_sources(self) -> DashboardSources:
        """Render and reconciliation figures for /metrics, read from their own stores."""
        from onepiece.domain.dashboard import RenderSummary
        from onepiece.services.dashboard.sources import DashboardSources

        def render_summary() -> RenderSummary:  # aggregated in SQL by the history
            return RenderSummary(**self.render_jobs.metrics())

        return DashboardSources(
            render=render_summary,
            reconcile=self.reconcile_results.total,
            ingest_runs=self.ingest_runs.runs,
            render_daily=lambda since: self.render_jobs.daily(since),
        )

    @cached_property
    def dashboard(self) -> DashboardService:
        """Dashboard figures; out-of-range cache limits are clamped with a warning."""
        from onepiece.services.dashboard.cache import DashboardCache, clamp_limits
        from onepiece.services.dashboard.media_durations import MediaDurations
        from onepiece.services.dashboard.project_registry import ProjectRegistry
        from onepiece.services.dashboard.service import DashboardService

        settings = self.settings
        limits, warnings = clamp_limits(
            settings.dashboard.cache_ttl,
            settings.dashboard.cache_max_records,
            settings.dashboard.cache_max_projects,
        )
        for warning in warnings:
            log.warning(warning)
        projects_store, facts_store = self.stores.dashboard_stores()
        registry = ProjectRegistry(
            lambda: self.tracker,
            settings.dashboard.projects,
            settings.dashboard_projects_path,
            store=projects_store,
        )
        return DashboardService(
            settings=settings,
            tracker=lambda: self.tracker,
            cache=DashboardCache(limits, flushed_elsewhere=self._cache_flushed_elsewhere()),
            registry=registry,
            durations=MediaDurations(
                settings.data_dir / "cache" / "media-durations.json", store=facts_store
            ),
            sources=self.dashboard_sources,
        )

    def _cache_flushed_elsewhere(self) -> Callable[[], bool] | None:
        flushes = self.stores.cache_flushes  # serve --workers N only
        return flushes.missed if flushes is not None else None

    @cached_property
    def delivery_manifests(self) -> DeliveryManifests:
        from onepiece.services.delivery.manifests import DeliveryManifests

        return DeliveryManifests(
            self.deliveries,
            self.storage,
            self.settings.data_dir / "delivery-manifests",
        )

    @cached_property
    def opencue_status(self) -> OpenCueStatusService:
        from onepiece.services.render.opencue_status import OpenCueStatusService

        return OpenCueStatusService(self.settings, source_factory=build_opencue_queue)

    @cached_property
    def runs_view(self) -> RunRegistryView:
        return self.stores.runs_view()

    @cached_property
    def stores(self) -> StateStores:
        """Which store keeps each record (state.db.wiring)."""
        from onepiece.state.db.wiring import StateStores

        return StateStores(self.settings)

    @property
    def seen_marker(self) -> Path:
        """What this service saw in its state database (state.db.expected)."""
        from onepiece.state.db.expected import MARKER_NAME

        return self.settings.data_dir / MARKER_NAME

    @property
    def state_db(self) -> StateDatabase:
        """The state database; prepared on first use of ``engine`` or by ``start()``."""
        return self.stores.database

    @cached_property
    def idempotency(self) -> IdempotencyStore:
        """``Idempotency-Key`` claims of ``POST /jobs``, whatever holds the records."""
        return self.stores.idempotency()

    def start(self) -> None:
        """Background work of a long-running process: the state database (refused
        when damaged or too new, or emptied since it was last seen), the event feed
        and the project list."""
        self.state_db.prepare()
        missing = self.state_db.check_expected(self.seen_marker)
        if missing is not None:
            log.warning("%s", missing)
        if self.stores.on_postgresql:
            self.listener.start()
        self.event_feed.start()
        self.dashboard.registry.hydrate()

    def stop(self) -> None:
        """Stop the background work ``start()`` began; ``start()`` may run again after.

        What belongs to one run of the service (the event feed, the dashboard's
        cache and project list) is dropped, so a restart starts fresh.
        """
        if "stores" in self.__dict__ and "database" in self.stores.__dict__:
            self.state_db.remember_size(self.seen_marker)
        listener = self.__dict__.pop("listener", None)
        if listener is not None:
            listener.stop()
        feed = self.__dict__.pop("event_feed", None)
        if feed is not None:
            feed.stop()
        self.__dict__.pop("dashboard", None)

    @cached_property
    def ingest_runs(self) -> RunRegistry:
        return self.stores.run_registry()

    @cached_property
    def deliveries(self) -> DeliveryStore:
        return self.stores.deliveries()

    @cached_property
    def reconcile_results(self) -> ReconcileStore:
        return self.stores.reconcile_results()

    def close(self) -> None:
        self.stop()
        if "opencue_status" in self.__dict__:
            self.opencue_status.close()
        if "render_jobs" in self.__dict__:
            self.render_jobs.close()
        if "farms" in self.__dict__:
            self.farms.close()
        if "tracker" in self.__dict__:
            self.tracker.close()
        if "stores" in self.__dict__:
            self.stores.close()


def bootstrap(settings: Settings) -> Container:
    return Container(settings)
