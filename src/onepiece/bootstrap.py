"""Composition root: builds tracker, storage, farms and stores from settings.

The CLI and the web app both call ``bootstrap()``; tests call it with their
own settings. Adapters are imported only when first used, so nothing connects
(or imports a heavy SDK) until a command needs it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from functools import cached_property
from typing import Any, cast

from onepiece.adapters.storage.base import Storage
from onepiece.adapters.trackers.base import Tracker
from onepiece.config import Settings
from onepiece.errors import ConfigError

# backend name -> "module:factory"; each factory takes Settings.
TRACKERS = {
    "local": "onepiece.adapters.trackers.local:create",
    "shotgrid": "onepiece.adapters.trackers.shotgrid:create",
}
STORAGES = {
    "local": "onepiece.adapters.storage.local:create",
    "s3": "onepiece.adapters.storage.s3:create",
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

    def close(self) -> None:
        if "tracker" in self.__dict__:
            self.tracker.close()


def bootstrap(settings: Settings) -> Container:
    return Container(settings)
