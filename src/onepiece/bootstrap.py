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
    from onepiece.adapters.farms.registry import FarmRegistry
    from onepiece.events import Broker
    from onepiece.services.dashboard.service import DashboardService
    from onepiece.services.dashboard.sources import DashboardSources
    from onepiece.services.delivery.manifests import DeliveryManifests
    from onepiece.services.ingest.run_feed import RunFeed
    from onepiece.services.render.jobs import RenderJobService
    from onepiece.services.render.opencue_status import OpenCueStatusService, QueueSource
    from onepiece.state.deliveries import DeliveryRegistry
    from onepiece.state.ingest_runs import IngestRunRegistry
    from onepiece.state.reconcile_results import ReconcileResults
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
        from onepiece.services.render.jobs import RenderJobService
        from onepiece.state.render_jobs import RenderJobStore

        trafalgar = self.settings.trafalgar
        store = RenderJobStore(
            self.settings.render_jobs_path,
            history_limit=trafalgar.render_jobs_history_limit,
            retention_hours=trafalgar.render_jobs_retention_hours,
            sync=trafalgar.render_jobs_sync,
        )
        return RenderJobService(store, self.farms, self.broker, self.settings.render)

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
        registry = ProjectRegistry(
            lambda: self.tracker, settings.dashboard.projects, settings.dashboard_projects_path
        )
        return DashboardService(
            settings=settings,
            tracker=lambda: self.tracker,
            cache=DashboardCache(limits),
            registry=registry,
            durations=MediaDurations(settings.data_dir / "cache" / "media-durations.json"),
            sources=self.dashboard_sources,
        )

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
        from onepiece.state.runs_view import RunRegistryView

        return RunRegistryView(self.settings.ingest_registry_path)

    @cached_property
    def run_feed(self) -> RunFeed:
        """Turns ingest run registry changes into ``run.*`` events on the broker."""
        from onepiece.services.ingest.run_feed import RunFeed

        return RunFeed(self.runs_view, self.broker)

    def start(self) -> None:
        """Background work of a long-running process: the project list and the run feed."""
        self.dashboard.registry.hydrate()
        self.run_feed.start()

    def stop(self) -> None:
        """Stop the background work ``start()`` began; ``start()`` may run again after.

        What belongs to one run of the service (the run feed, the dashboard's
        cache and project list) is dropped, so a restart starts fresh.
        """
        feed = self.__dict__.pop("run_feed", None)
        if feed is not None:
            feed.stop()
        self.__dict__.pop("dashboard", None)

    @cached_property
    def ingest_runs(self) -> IngestRunRegistry:
        from onepiece.state.ingest_runs import IngestRunRegistry

        return IngestRunRegistry(self.settings.ingest_registry_path)

    @cached_property
    def deliveries(self) -> DeliveryRegistry:
        from onepiece.state.deliveries import DeliveryRegistry

        return DeliveryRegistry(self.settings.delivery_registry_path)

    @cached_property
    def reconcile_results(self) -> ReconcileResults:
        from onepiece.state.reconcile_results import ReconcileResults

        return ReconcileResults(self.settings.reconcile_results_path)

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


def bootstrap(settings: Settings) -> Container:
    return Container(settings)
