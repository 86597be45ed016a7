"""GET /projects, GET /projects/{project}, GET/POST /admin/cache and GET /health."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from onepiece.errors import StorageUnavailable
from tests.integration.web.conftest import admin, make_settings
from tests.tracker_double import RecordingTracker


def test_project_dashboard_has_episodes_totals_and_latest_published(client: TestClient) -> None:
    response = client.get("/projects/FG")
    assert response.status_code == 200
    body = response.json()
    assert (body["project"], body["name"], body["shots"], body["versions"]) == (
        "FG",
        "Fox Glove",
        3,
        3,
    )
    assert body["status"]["versions"]["approved"] == 2  # "APR" and "Approved"
    assert body["status"]["versions"]["review"] == 1
    assert body["status"]["shots"]["in_progress"] == 2  # "ip" and "IP"
    episodes = {e["episode"]: e for e in body["episodes"]}
    assert episodes["ep010"]["versions"] == 2 and episodes["ep020"]["versions"] == 1
    assert episodes["ep010"]["status"]["versions"]["approved"] == 1
    assert [p["code"] for p in body["latest_published"]][0] == "ep020_sh010_comp_v001"
    assert "message" not in body or body["message"] is None


def test_unknown_project_answers_the_404_envelope(client: TestClient) -> None:
    response = client.get("/projects/NOPE")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "tracker.not_found"


def test_project_dashboard_is_cached(client: TestClient, tracker: RecordingTracker) -> None:
    client.get("/projects/FG")
    client.get("/projects/FG")
    assert tracker.calls["list_versions"] == 1


def test_project_list_has_overall_and_per_project_status_totals(client: TestClient) -> None:
    body = client.get("/projects").json()
    assert [p["code"] for p in body["projects"]] == ["FG"]
    fg = body["projects"][0]
    assert fg["in_tracker"] and not fg["configured"]
    assert fg["status"]["versions"]["approved"] == 2
    assert body["status"] == fg["status"]  # one project: overall equals per project
    assert body["source"] == "tracker" and body["synced_at"]


def test_cache_stats_show_buckets_limits_and_hit_counts(client: TestClient) -> None:
    client.get("/metrics", headers=admin())
    client.get("/metrics", headers=admin())
    stats = client.get("/admin/cache", headers=admin()).json()
    assert stats["ttl_seconds"] == 30.0
    assert (stats["max_records"], stats["max_projects"]) == (5000, 50)
    assert {"metrics", "counts", "review", "registry", "ingest"} <= set(stats["buckets"])
    assert stats["buckets"]["metrics"]["hits"] == 1
    assert stats["buckets"]["metrics"]["misses"] == 1
    assert stats["buckets"]["review"]["entries"] == 1
    assert stats["buckets"]["review"]["last_refresh"]


def test_post_cache_flushes_and_tunes_limits(client: TestClient, tracker: RecordingTracker) -> None:
    client.get("/projects/FG")
    response = client.post(
        "/admin/cache", headers=admin(), json={"ttl": 5, "max_records": 10, "max_projects": 3}
    )
    assert response.status_code == 200
    stats = response.json()
    assert (stats["ttl_seconds"], stats["max_records"], stats["max_projects"]) == (5.0, 10, 3)
    assert all(b["entries"] == 0 for b in stats["buckets"].values())
    client.get("/projects/FG")
    assert tracker.calls["list_versions"] == 2


def test_post_cache_without_a_body_only_flushes(client: TestClient) -> None:
    response = client.post("/admin/cache", headers=admin())
    assert response.status_code == 200
    assert response.json()["ttl_seconds"] == 30.0


@pytest.mark.parametrize(
    "body",
    [{"ttl": -1}, {"max_records": 0}, {"max_projects": 10**9}, {"ttl": "soon"}, {"colour": 1}],
)
def test_post_cache_rejects_invalid_tuning_with_the_422_envelope(
    client: TestClient, body: dict[str, object]
) -> None:
    response = client.post("/admin/cache", headers=admin(), json=body)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "request.invalid"
    assert error["context"]["errors"]


def test_a_project_over_the_record_limit_bypasses_the_cache(
    client: TestClient, tracker: RecordingTracker
) -> None:
    client.post("/admin/cache", headers=admin(), json={"max_records": 2})
    client.get("/projects/FG")
    client.get("/projects/FG")
    assert tracker.calls["list_versions"] == 2
    assert client.get("/admin/cache", headers=admin()).json()["buckets"]["project"]["bypassed"] == 2


def test_out_of_range_cache_settings_are_clamped_with_a_warning(
    data_dir: Path, make_app, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(
        data_dir, dashboard={"cache_ttl": -3, "cache_max_records": 0, "cache_max_projects": 5}
    )
    with caplog.at_level(logging.WARNING), TestClient(make_app(settings)) as client:
        stats = client.get("/admin/cache", headers=admin()).json()
    assert (stats["ttl_seconds"], stats["max_records"], stats["max_projects"]) == (0.0, 1, 5)
    assert "ttl=-3" in caplog.text and "max_records=0" in caplog.text


def test_health_reports_version_backend_and_registry(client: TestClient) -> None:
    body = client.get("/health").json()
    assert body["status"] == "ok"
    assert body["tracker"] == {"backend": "local"}
    assert body["projects"]["count"] == 1 and body["projects"]["source"] == "tracker"


def test_health_contributors_add_sections_and_failures_degrade(app: FastAPI) -> None:
    def render_history():
        return {"jobs": 12}

    def broken():
        raise StorageUnavailable("history file unreadable")

    app.state.hooks.health["render"] = render_history
    app.state.hooks.health["opencue"] = broken
    with TestClient(app) as client:
        body = client.get("/health").json()
    assert body["render"] == {"jobs": 12}
    assert body["opencue"] == {"status": "unavailable", "message": "history file unreadable"}
    assert body["status"] == "degraded"
