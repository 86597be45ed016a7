"""Retries through the real shotgun_api3 client against a loopback site.

Faults are injected on the wire (HTTP statuses, dropped connections, a
server that never answers), below the SDK's own transport; nothing of ours
is patched. Waits are short because the policy is built with a small backoff.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from onepiece.adapters.trackers.shotgrid.retry import RetryPolicy
from onepiece.adapters.trackers.shotgrid.session import connect
from onepiece.adapters.trackers.shotgrid.tracker import ShotGridTracker, create
from onepiece.config import Settings
from onepiece.domain.entities import ShotSpec, Version
from onepiece.errors import TrackerRejected, TrackerUnavailable
from tests.integration.conftest import FAST_RETRIES
from tests.shotgrid_schema import mockgun_site
from tests.shotgrid_wire import Fault, ShotGridWire

SCRIPT, KEY = "onepiece", "the-right-key"


@pytest.fixture
def wire(mockgun: Any) -> Iterator[ShotGridWire]:
    mockgun.create("Project", {"name": "Fire Giant", "tank_name": "FG"})
    with ShotGridWire(mockgun, SCRIPT, KEY) as server:
        yield server


def _settings(url: str, key: str = KEY, **shotgrid: Any) -> Settings:
    return Settings(shotgrid={"url": url, "script": SCRIPT, "key": key, **shotgrid})


def _tracker(
    wire: ShotGridWire, policy: RetryPolicy = FAST_RETRIES, **shotgrid: Any
) -> ShotGridTracker:
    return ShotGridTracker(connect(_settings(wire.url, **shotgrid)), policy=policy, batch_size=3)


def _retries(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "onepiece.shotgrid" and "retrying" in r.getMessage()
    ]


def test_503s_are_retried_until_the_call_succeeds(
    wire: ShotGridWire, caplog: pytest.LogCaptureFixture
) -> None:
    tracker = _tracker(wire)
    wire.fail_next(Fault("status", 503, method="read"), Fault("status", 503, method="read"))
    with caplog.at_level(logging.WARNING):
        assert [p.code for p in tracker.list_projects()] == ["FG"]
    assert wire.count("read") == 3
    logged = _retries(caplog)
    assert len(logged) == 2
    assert "HTTP 503" in logged[0] and "attempt 1/4" in logged[0] and "(at " in logged[0]


def test_rate_limiting_waits_at_least_the_servers_retry_after(
    wire: ShotGridWire, caplog: pytest.LogCaptureFixture
) -> None:
    tracker = _tracker(wire)
    wire.fail_next(Fault("status", 429, retry_after=0.05, method="read"))
    with caplog.at_level(logging.WARNING):
        tracker.list_projects()
    (logged,) = _retries(caplog)
    assert "HTTP 429" in logged and "retrying in 0.05s" in logged


def test_dropped_connections_are_retried(
    wire: ShotGridWire, caplog: pytest.LogCaptureFixture
) -> None:
    tracker = _tracker(wire)
    # httplib2 silently resends once on a dead connection, so two drops make one failure.
    wire.fail_next(Fault("drop", method="read"), Fault("drop", method="read"))
    with caplog.at_level(logging.WARNING):
        assert [p.code for p in tracker.list_projects()] == ["FG"]
    (logged,) = _retries(caplog)
    assert "RemoteDisconnected" in logged or "Connection" in logged


def test_a_server_that_never_answers_times_out_and_is_retried(
    wire: ShotGridWire, caplog: pytest.LogCaptureFixture
) -> None:
    tracker = _tracker(wire, timeout_seconds=0.3)
    wire.fail_next(Fault("hang", method="read"))
    with caplog.at_level(logging.WARNING):
        assert [p.code for p in tracker.list_projects()] == ["FG"]
    (logged,) = _retries(caplog)
    assert "timed out" in logged or "Timeout" in logged


def test_persistent_5xx_gives_up_after_max_attempts_without_sdk_retries(wire: ShotGridWire) -> None:
    tracker = _tracker(wire)
    # 502 is one the SDK would retry itself three times; we switched that off.
    wire.fail_next(*[Fault("status", 502, method="read")] * 20)
    with pytest.raises(TrackerUnavailable, match="unreachable") as caught:
        tracker.list_projects()
    assert wire.count("read") == FAST_RETRIES.max_attempts
    assert "HTTP 502" in caught.value.message


def test_the_deadline_stops_retrying_before_a_wait_would_pass_it(wire: ShotGridWire) -> None:
    policy = RetryPolicy(max_attempts=10, deadline_seconds=1.0, backoff_seconds=0.01)
    tracker = _tracker(wire, policy=policy)
    wire.fail_next(Fault("status", 503, retry_after=5, method="read"))
    with pytest.raises(TrackerUnavailable):
        tracker.list_projects()
    assert wire.count("read") == 1


def test_a_wrong_script_key_is_one_clear_error_and_not_retried(
    wire: ShotGridWire, caplog: pytest.LogCaptureFixture
) -> None:
    tracker = create(_settings(wire.url, key="a-wrong-key"))
    with caplog.at_level(logging.WARNING), pytest.raises(TrackerRejected) as caught:
        tracker.list_projects()
    assert caught.value.message.startswith("ShotGrid refused the script credentials")
    assert "ONEPIECE_SHOTGRID_SCRIPT" in (caught.value.hint or "")
    assert "ONEPIECE_SHOTGRID_KEY" in (caught.value.hint or "")
    assert "a-wrong-key" not in caught.value.message + (caught.value.hint or "")
    assert wire.count("read") == 1
    assert _retries(caplog) == []


def test_field_errors_are_reported_with_the_field_and_not_retried(tmp_path: Path) -> None:
    site = mockgun_site(tmp_path / "thin", without={"Version": ["sg_checksum"]})
    site.create("Project", {"name": "FG", "tank_name": "FG"})
    with ShotGridWire(site, SCRIPT, KEY) as wire:
        tracker = _tracker(wire)
        tracker.ensure_hierarchy("FG", [ShotSpec(None, None, "a")])
        batches = wire.count("batch")
        with pytest.raises(TrackerRejected) as caught:
            tracker.create_versions([Version("FG", "v1", shot="a", checksum="xxh3:1")])
        assert caught.value.context["field"] == "Version.sg_checksum"
        assert wire.count("batch") == batches + 1


def test_a_batch_resent_after_a_lost_reply_creates_nothing_twice(
    wire: ShotGridWire, mockgun: Any
) -> None:
    tracker = _tracker(wire)
    specs = [ShotSpec("ep010", "sc01", f"sc01_{i:04d}") for i in range(1, 4)]
    # The server creates the batch but the reply is lost; httplib2 resends the
    # request once on its own (dropped again), then our policy retries.
    wire.fail_next(Fault("drop_after", method="batch"), Fault("drop", method="batch"))
    result = tracker.ensure_hierarchy("FG", specs)
    assert result.created["Episode"] == ["ep010"]
    assert result.created["Shot"] == [s.shot for s in specs]
    assert len(mockgun.find("Episode", [], ["code"])) == 1
    assert sorted(row["code"] for row in mockgun.find("Shot", [], ["code"])) == [
        s.shot for s in specs
    ]


def test_counts_use_summarize_on_a_real_client(wire: ShotGridWire) -> None:
    tracker = _tracker(wire)
    tracker.ensure_hierarchy("FG", [ShotSpec("ep010", "sc01", f"s{i}") for i in range(4)])
    tracker.create_versions(
        [Version("FG", "v1", shot="s1", status="apr"), Version("FG", "v2", shot="s2", status="rev")]
    )
    counts = tracker.counts("FG")
    assert wire.count("summarize") == 4
    assert (counts.episodes, counts.sequences, counts.shots, counts.versions) == (1, 1, 4, 2)
    assert counts.version_status == {"apr": 1, "rev": 1}


def test_connect_turns_off_the_sdks_own_retries_and_applies_the_timeout() -> None:
    conn = connect(_settings("https://studio.shotgrid.autodesk.com", timeout_seconds=7.5))
    assert (conn.config.max_rpc_attempts, conn.MAX_ATTEMPTS) == (1, 1)
    assert conn.config.timeout_secs == 7.5
