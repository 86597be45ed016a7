"""Integration fixtures: real adapters on real files and loopback servers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from onepiece.adapters.trackers.base import Tracker
from onepiece.adapters.trackers.local.tracker import LocalTracker
from onepiece.adapters.trackers.shotgrid.retry import RetryPolicy
from onepiece.adapters.trackers.shotgrid.tracker import ShotGridTracker
from tests.ingest_support import clean_delivery, sample_delivery, stores  # noqa: F401 - fixtures
from tests.kitsu_server import KitsuServer
from tests.s3_endpoint import s3_endpoint_url, s3_server  # noqa: F401 - fixtures
from tests.shotgrid_schema import mockgun_site

# Short waits so retry tests take milliseconds; the policy is the production one.
FAST_RETRIES = RetryPolicy(max_attempts=4, deadline_seconds=10.0, backoff_seconds=0.01)


def _local_tracker(folder: Path) -> Tracker:
    return LocalTracker(folder / "tracker.db")


def _shotgrid_tracker(folder: Path) -> Tracker:
    # Autodesk's mockgun on our schema; batch size 2 so the contract's small
    # lists cross chunk borders.
    return ShotGridTracker(mockgun_site(folder / "sg-schema"), policy=FAST_RETRIES, batch_size=2)


def kitsu_tracker(server: KitsuServer) -> Tracker:
    """The Kitsu adapter on the session's real zou, with the fast retry policy."""
    from onepiece.adapters.trackers.kitsu.session import KitsuSession
    from onepiece.adapters.trackers.kitsu.tracker import KitsuTracker

    return KitsuTracker(
        KitsuSession(server.url, server.email, server.password, policy=FAST_RETRIES)
    )


# Adapter name -> factory building a fresh, empty tracker in a scratch folder.
# tests/integration/test_tracker_contract.py runs against every entry; an
# adapter joins the contract by adding itself here.
TRACKER_FACTORIES: dict[str, Callable[[Path], Tracker]] = {
    "local": _local_tracker,
    "shotgrid": _shotgrid_tracker,
}
# Trackers on a server the session starts: emptied per test, skipped without it.
SERVER_TRACKERS = ("kitsu",)


@pytest.fixture(params=sorted([*TRACKER_FACTORIES, *SERVER_TRACKERS]))
def tracker(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Tracker]:
    """A fresh tracker of each registered adapter, closed afterwards."""
    folder = tmp_path / f"tracker-{request.param}"
    folder.mkdir()
    if request.param == "kitsu":
        instance = kitsu_tracker(request.getfixturevalue("kitsu"))
    else:
        instance = TRACKER_FACTORIES[request.param](folder)
    try:
        yield instance
    finally:
        instance.close()


@pytest.fixture
def mockgun(tmp_path: Path) -> Any:
    """An empty mockgun site on the schema tests/shotgrid_schema.py writes."""
    return mockgun_site(tmp_path / "sg-schema")


@pytest.fixture
def shotgrid(mockgun: Any) -> ShotGridTracker:
    """The ShotGrid adapter on mockgun, batch size 3 so small tests cross chunk borders."""
    return ShotGridTracker(mockgun, policy=FAST_RETRIES, batch_size=3)
