"""Composition root: builds tracker, storage, farms and stores from settings.

The CLI and the web app both call ``bootstrap()``; tests call it with their
own settings. Adapters are imported only when first used, so nothing connects
(or imports a heavy SDK) until a command needs it.
"""

from __future__ import annotations

import importlib
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
    from onepiece.services.render_jobs import RenderJobService

# backend name -> "module:factory"; each factory takes Settings.
TRACKERS = {
    "local": "onepiece.adapters.trackers.local:create",
    "shotgrid": "onepiece.adapters.trackers.shotgrid:create",
    "kitsu": "onepiece.adapters.trackers.kitsu.tracker:create",
}
STORAGES = {
    "local": "onepiece.adapters.storage.local:create",
    "s3": "onepiece.adapters.storage.s3:create",
}
FARMS = {
    "local": "onepiece.adapters.farms.local:create",
    "mock": "onepiece.adapters.farms.mock:create",
    "opencue": "onepiece.adapters.farms.opencue:create",
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


class Container:
    """Lazily built services for one process (a CLI command or the web app)."""

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
        from onepiece.services.render_jobs import RenderJobService
        from onepiece.state.render_jobs import RenderJobStore

        trafalgar = self.settings.trafalgar
        store = RenderJobStore(
            self.settings.render_jobs_path,
            history_limit=trafalgar.render_jobs_history_limit,
            retention_hours=trafalgar.render_jobs_retention_hours,
            sync=trafalgar.render_jobs_sync,
        )
        return RenderJobService(store, self.farms, self.broker, self.settings.render)

    def close(self) -> None:
        if "render_jobs" in self.__dict__:
            self.render_jobs.close()
        if "farms" in self.__dict__:
            self.farms.close()
        if "tracker" in self.__dict__:
            self.tracker.close()


def bootstrap(settings: Settings) -> Container:
    return Container(settings)
