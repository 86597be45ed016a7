"""With the tracker down, each answer names the outage once, with its hint, not once per project."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from onepiece.config import Settings
from tests.integration.web.conftest import AppFactory, admin
from tests.tracker_double import RecordingTracker

REASON = "tracker double is down"
HINT = "set available = True"


@pytest.fixture
def many_projects(tracker: RecordingTracker) -> RecordingTracker:
    for code in ("AB", "CD", "EF", "GH", "IJ"):
        tracker.add_project(code, f"Show {code}")
    return tracker


@pytest.mark.parametrize("cached_before", [True, False], ids=["after-a-good-answer", "cold"])
def test_metrics_summary_and_workload_page_say_it_once(
    settings: Settings,
    make_app: AppFactory,
    many_projects: RecordingTracker,
    cached_before: bool,
) -> None:
    if not cached_before:
        with TestClient(make_app(settings)) as warm_up:  # writes the registry file only
            warm_up.get("/projects")
    with TestClient(make_app(settings)) as client:
        if cached_before:
            client.get("/metrics", headers=admin())
            client.get("/summary")
            client.get("/projects")
        assert client.post("/admin/cache", headers=admin(), json={"ttl": 0}).status_code == 200
        many_projects.available = False

        metrics = client.get("/metrics", headers=admin()).json()
        summary = client.get("/summary").json()
        page = client.get("/").text

    assert metrics["message"].count(REASON) == 1, metrics["message"]
    assert HINT in metrics["message"]
    assert len(metrics["review"]["projects"]) == 6
    assert json.dumps(summary).count(REASON) == 1, summary
    assert REASON in summary["tracker"]["message"]
    assert summary["tracker"]["hint"]
    assert summary["tracker"]["available"] is False
    assert page.count(REASON) == 1
