"""Integration fixtures: real components on loopback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from onepiece.adapters.trackers.shotgrid import ShotGridTracker
from onepiece.adapters.trackers.shotgrid_retry import RetryPolicy
from tests.shotgrid_schema import mockgun_site

# Short waits so retry tests take milliseconds; the policy is the production one.
FAST_RETRIES = RetryPolicy(max_attempts=4, deadline_seconds=10.0, backoff_seconds=0.01)


@pytest.fixture
def mockgun(tmp_path: Path) -> Any:
    """An empty mockgun site on the schema tests/shotgrid_schema.py writes."""
    return mockgun_site(tmp_path / "sg-schema")


@pytest.fixture
def shotgrid(mockgun: Any) -> ShotGridTracker:
    """The ShotGrid adapter on mockgun, batch size 3 so small tests cross chunk borders."""
    return ShotGridTracker(mockgun, policy=FAST_RETRIES, batch_size=3)
