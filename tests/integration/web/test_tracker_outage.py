"""The tracker going down mid-run: answers keep coming from the registry and caches."""

from __future__ import annotations

from fastapi.testclient import TestClient

from onepiece.config import Settings
from tests.integration.web.conftest import admin, saved_projects
from tests.tracker_double import RecordingTracker


def expire_everything(client: TestClient) -> None:
    """TTL 0: every later request must go back to the tracker."""
    assert client.post("/admin/cache", headers=admin(), json={"ttl": 0}).status_code == 200


def test_metrics_serve_last_figures_with_a_message_while_the_tracker_is_down(
    client: TestClient, tracker: RecordingTracker
) -> None:
    expire_everything(client)
    healthy = client.get("/metrics", headers=admin()).json()
    tracker.available = False

    response = client.get("/metrics", headers=admin())

    assert response.status_code == 200
    body = response.json()
    assert "tracker double is down" in body["message"]
    assert "serving data cached at" in body["message"]
    assert body["status"] == healthy["status"]
    assert body["review"] == healthy["review"]


def test_metrics_answer_from_the_registry_file_when_the_tracker_is_down_at_start_up(
    settings: Settings, make_app, tracker: RecordingTracker
) -> None:
    with TestClient(make_app(settings)) as client:
        client.get("/metrics", headers=admin())
    saved = saved_projects(settings)
    assert saved is not None and saved.projects[0]["code"] == "FG"

    tracker.available = False
    with TestClient(make_app(settings)) as client:  # a restart with the tracker down
        response = client.get("/metrics", headers=admin())
        health = client.get("/health").json()
    assert response.status_code == 200
    body = response.json()
    assert body["status"]["projects"] == 1
    assert [p["project"] for p in body["review"]["projects"]] == ["FG"]
    assert "project list from file" in body["message"]
    assert health["projects"]["source"] == "file"
    assert health["projects"]["last_error"] == "tracker double is down"


def test_tracker_recovery_clears_the_message(client: TestClient, tracker: RecordingTracker) -> None:
    expire_everything(client)
    tracker.available = False
    assert "message" in client.get("/metrics", headers=admin()).json()
    tracker.available = True
    assert "message" not in client.get("/metrics", headers=admin()).json()


def test_project_dashboard_is_served_stale_then_503_for_an_uncached_project(
    client: TestClient, tracker: RecordingTracker
) -> None:
    expire_everything(client)
    fresh = client.get("/projects/FG").json()
    tracker.available = False

    stale = client.get("/projects/FG")
    assert stale.status_code == 200
    assert stale.json()["versions"] == fresh["versions"]
    assert "tracker unavailable" in stale.json()["message"]

    tracker.add_project("NEW")  # known upstream, never cached here
    missing = client.get("/projects/NEW")
    assert missing.status_code == 503
    assert missing.json()["error"]["code"] == "tracker.unavailable"


def test_a_down_tracker_is_asked_once_per_metrics_request(
    client: TestClient, tracker: RecordingTracker
) -> None:
    client.get("/metrics", headers=admin())
    expire_everything(client)
    tracker.available = False
    tracker.calls.clear()
    client.get("/metrics", headers=admin())
    # The registry sync fails first; the other tracker reads use the cache.
    assert sum(tracker.calls.values()) == 1
