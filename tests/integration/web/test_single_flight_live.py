"""A burst of requests on an expired entry reaches the tracker once (real server, threads)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
from fastapi import FastAPI

from tests.integration.web.conftest import admin
from tests.tracker_double import RecordingTracker

BURST = 12


def test_burst_on_an_expired_project_dashboard_fetches_once(
    app: FastAPI, tracker: RecordingTracker, live_server
) -> None:
    with live_server(app) as server, httpx.Client(base_url=server.url, timeout=30) as http:
        assert http.get("/projects/FG").status_code == 200
        http.post("/admin/cache", headers=admin(), json={"ttl": 0}).raise_for_status()
        cache = app.state.container.dashboard.cache
        misses_before = cache.stats()["buckets"]["project"]["misses"]
        tracker.calls.clear()
        tracker.gate = threading.Event()

        with ThreadPoolExecutor(BURST) as pool:
            futures = [pool.submit(http.get, "/projects/FG") for _ in range(BURST)]
            assert tracker.entered.wait(30)
            # Release the upstream only once every request is inside the cache.
            while cache.stats()["buckets"]["project"]["misses"] < misses_before + BURST:
                threading.Event().wait(0.01)
            tracker.gate.set()
            responses = [f.result(30) for f in futures]

    assert [r.status_code for r in responses] == [200] * BURST
    assert len({r.json()["fetched_at"] for r in responses}) == 1
    assert tracker.calls["get_project"] == 1
    assert tracker.calls["list_versions"] == 1
