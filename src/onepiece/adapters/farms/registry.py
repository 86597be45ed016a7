"""Which farms this process can use, built lazily from settings.

``local`` is always there; ``mock`` only when opted in; ``opencue`` when its
hosts are configured. A farm whose factory fails (client library missing,
bad hosts) is reported unavailable with the reason: it never takes the others
down, and nothing connects until a farm is first used.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from onepiece.adapters.farms.base import ChecksReachable, Farm
from onepiece.errors import AdapterUnavailable, FarmNotFound, OnePieceError, UnknownFarm

log = logging.getLogger(__name__)

RETRY_FAILED_AFTER_SECONDS = 30.0


@dataclass(frozen=True)
class FarmEntry:
    name: str
    configured: bool
    hint: str  # how to configure it when it is not


class FarmRegistry:
    def __init__(
        self,
        entries: list[FarmEntry],
        factories: Mapping[str, Callable[[], Farm]],
    ) -> None:
        self._entries = {entry.name: entry for entry in entries}
        self._factories = dict(factories)
        self._farms: dict[str, Farm] = {}
        self._failures: dict[str, tuple[str, float]] = {}  # name -> (reason, when)
        self._lock = threading.Lock()

    @property
    def names(self) -> list[str]:
        """Configured farms, whether or not they are currently available."""
        return [name for name, entry in self._entries.items() if entry.configured]

    def check_known(self, name: str) -> None:
        """Raise UnknownFarm for a name no configuration knows (a typo in a filter)."""
        if name not in self._entries:
            known = ", ".join(self.names)
            raise UnknownFarm(
                f"no farm named {name!r} is configured (farms: {known})",
                hint=f"use one of: {known}",
                context={"farm": name},
            )

    def get(self, name: str) -> Farm:
        """The farm called ``name``. Raises FarmNotFound or AdapterUnavailable."""
        entry = self._entries.get(name)
        if entry is None or not entry.configured:
            known = ", ".join(self.names)
            raise (FarmNotFound if entry else UnknownFarm)(
                f"no farm named {name!r} is configured (farms: {known})",
                hint=entry.hint if entry else f"use one of: {known}",
                context={"farm": name},
            )
        with self._lock:
            if name in self._farms:
                return self._farms[name]
            failure = self._failures.get(name)
            if failure and time.monotonic() - failure[1] < RETRY_FAILED_AFTER_SECONDS:
                raise AdapterUnavailable(failure[0], context={"farm": name})
            try:
                farm = self._factories[name]()
            except ImportError as exc:
                reason = f"farm {name!r} needs a client library that is missing: {exc.name}"
                self._failures[name] = (reason, time.monotonic())
                raise AdapterUnavailable(
                    reason, hint=f"pip install 'onepiece[{name}]'", context={"farm": name}
                ) from exc
            except OnePieceError as exc:
                reason = f"farm {name!r} is unavailable: {exc.message}"
                self._failures[name] = (reason, time.monotonic())
                raise AdapterUnavailable(reason, hint=exc.hint, context={"farm": name}) from exc
            self._farms[name] = farm
            return farm

    def describe(self) -> list[dict[str, Any]]:
        """Every configured farm: capabilities when available, else the reason."""
        described = []
        for name in self.names:
            try:
                farm = self.get(name)
                caps = farm.capabilities()
                # "available" means it answers now, the same test a submit meets.
                if isinstance(farm, ChecksReachable):
                    farm.check()
            except OnePieceError as exc:
                described.append({"name": name, "available": False, "message": exc.message})
                continue
            described.append(
                {
                    "name": name,
                    "available": True,
                    "description": caps.description,
                    "priority_min": caps.priority_min,
                    "priority_max": caps.priority_max,
                    "chunking": caps.chunking,
                    "cancellation": caps.cancellation,
                    **(
                        {"dccs": list(caps.dccs), "missing_dccs": list(caps.missing_dccs)}
                        if caps.dccs is not None
                        else {}
                    ),
                }
            )
        return described

    def close(self) -> None:
        with self._lock:
            farms, self._farms = list(self._farms.values()), {}
        for farm in farms:
            try:
                farm.close()
            except OnePieceError as exc:
                log.warning("closing farm %s: %s", farm.name, exc.message)
