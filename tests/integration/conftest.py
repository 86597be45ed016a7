"""Integration fixtures: real adapters on real files and loopback servers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from onepiece.adapters.trackers.base import Tracker
from onepiece.adapters.trackers.local import LocalTracker
from tests.ingest_support import clean_delivery, sample_delivery, stores  # noqa: F401 - fixtures
from tests.s3_endpoint import s3_endpoint_url, s3_server  # noqa: F401 - fixtures


def _local_tracker(folder: Path) -> Tracker:
    return LocalTracker(folder / "tracker.db")


# Adapter name -> factory building a fresh, empty tracker in a scratch folder.
# tests/integration/test_tracker_contract.py runs against every entry; an
# adapter joins the contract by adding itself here.
TRACKER_FACTORIES: dict[str, Callable[[Path], Tracker]] = {
    "local": _local_tracker,
}


@pytest.fixture(params=sorted(TRACKER_FACTORIES))
def tracker(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Tracker]:
    """A fresh tracker of each registered adapter, closed afterwards."""
    folder = tmp_path / f"tracker-{request.param}"
    folder.mkdir()
    instance = TRACKER_FACTORIES[request.param](folder)
    try:
        yield instance
    finally:
        instance.close()
