"""A burst of tracker reads and writes while the tracker does not answer never
takes every request thread: reads of Trafalgar's own state still answer at once."""

from __future__ import annotations

import threading
import time

import httpx
from fastapi import FastAPI

from tests.integration.web.conftest import admin
from tests.tracker_double import RecordingTracker

# More than FastAPI's request threads (40): each one used to hold a thread.
BURST = {
    "/projects": 8,
    "/projects/FG": 8,
    "/summary": 8,
    "/summary/trends": 8,
    "/review/FG/versions": 8,
    "/": 8,
    "status": 8,
}


def test_a_burst_of_tracker_calls_to_a_stalled_tracker_never_starves_the_reads(
    app: FastAPI, tracker: RecordingTracker, live_server
) -> None:
    answers: dict[str, list[int]] = {path: [] for path in BURST}
    with (
        live_server(app) as server,
        httpx.Client(base_url=server.url, timeout=10) as reads,
    ):
        http_ok = reads.post("/admin/cache", headers=admin(), json={"ttl": 0})
        assert http_ok.status_code == 200, http_ok.text  # every dashboard read asks the tracker
        tracker.gate = threading.Event()

        def call(path: str, index: int) -> None:
            with httpx.Client(base_url=server.url, timeout=60, headers=admin()) as http:
                if path == "status":
                    response = http.post(
                        "/review/FG/ep010_sh010_comp_v001/status", json={"verdict": "approve"}
                    )
                else:
                    response = http.get(path, params={"burst": index})
            answers[path].append(response.status_code)

        burst = [
            threading.Thread(target=call, args=(path, index))
            for path, count in BURST.items()
            for index in range(count)
        ]
        try:
            for thread in burst:
                thread.start()
            assert tracker.entered.wait(30)
            time.sleep(0.5)  # let the burst pile up behind the stalled tracker
            for path in ("/jobs", "/jobs/none-such", "/runs"):
                started = time.monotonic()
                # Before: every request thread waited on the tracker, and so did this.
                response = reads.get(path)
                assert response.status_code in (200, 404), response.text
                assert time.monotonic() - started < 5
        finally:
            tracker.gate.set()
            for thread in burst:
                thread.join(60)
    assert {path: set(codes) for path, codes in answers.items()} == {path: {200} for path in BURST}
