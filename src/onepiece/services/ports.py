"""What use cases need of the composition root, as small Protocols.

Services receive these (or plain parameters), never ``bootstrap.Container``:
the container satisfies them structurally, and a test may pass any object
with the same attributes.
"""

from __future__ import annotations

from typing import Protocol

from onepiece.adapters.storage.base import Storage
from onepiece.adapters.trackers.base import Tracker
from onepiece.config import Settings
from onepiece.state.db.ports import DeliveryStore


class Backends(Protocol):
    """The configured tracker and storage, with the settings they came from."""

    @property
    def settings(self) -> Settings: ...
    @property
    def tracker(self) -> Tracker: ...
    @property
    def storage(self) -> Storage: ...


class DeliveryBackends(Backends, Protocol):
    """Backends plus the registry that records what each delivery sent."""

    @property
    def deliveries(self) -> DeliveryStore: ...
