"""GET /metrics: the documented schema, filled from the tracker, ingest runs and hooks."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from onepiece.atomicio import write_json
from onepiece.config import Settings
from onepiece.domain.dashboard import summarise_render
from onepiece.errors import AdapterUnavailable
from tests.integration.web.conftest import admin
from tests.tracker_double import RecordingTracker

SCHEMA = {
    "status": {"projects", "shots", "versions", "errors"},
    "ingest": {"counts", "last_success_at", "failure_streak"},
    "render": {"jobs", "by_status", "by_farm"},
    "review": {"totals", "projects"},
}


def test_metrics_has_exactly_the_documented_schema(client: TestClient) -> None:
    response = client.get("/metrics", headers=admin())
    assert response.status_code == 200
    body = response.json()
    assert set(body) == set(SCHEMA)  # no "message" while everything is fresh
    for section, keys in SCHEMA.items():
        assert set(body[section]) == keys
    assert set(body["ingest"]["counts"]) == {"total", "successful", "failed", "running"}
    assert set(body["review"]["totals"]) == {
        "projects",
        "playlists",
        "clips",
        "shots",
        "duration_seconds",
    }
    for row in body["review"]["projects"]:
        assert set(row) == {"project", "playlists", "clips", "shots", "duration_seconds"}


def test_metrics_figures_come_from_tracker_registry_and_playlists(client: TestClient) -> None:
    body = client.get("/metrics", headers=admin()).json()
    # XY is archived upstream, so only FG is on the dashboard.
    assert body["status"] == {"projects": 1, "shots": 3, "versions": 3, "errors": 0}
    assert body["render"] == {"jobs": 0, "by_status": {}, "by_farm": {}}
    assert body["review"]["projects"] == [
        {"project": "FG", "playlists": 1, "clips": 2, "shots": 1, "duration_seconds": 4.5}
    ]
    assert body["review"]["totals"]["duration_seconds"] == 4.5


def test_metrics_reads_the_ingest_run_registry(settings: Settings, make_app) -> None:
    write_json(
        settings.ingest_registry_path,
        {
            "runs": [
                {
                    "id": "r1",
                    "project": "FG",
                    "status": "completed",
                    "started_at": "2024-05-01T10:00:00+00:00",
                    "completed_at": "2024-05-01T10:10:00+00:00",
                    "counts": {"files": 4},
                },
                {
                    "id": "r2",
                    "project": "FG",
                    "status": "failed",
                    "started_at": "2024-05-02T10:00:00+00:00",
                    "completed_at": None,
                },
                {
                    "id": "r3",
                    "project": "FG",
                    "status": "failed",
                    "started_at": "2024-05-03T10:00:00+00:00",
                    "completed_at": None,
                },
                {
                    "id": "r4",
                    "project": "FG",
                    "status": "running",
                    "started_at": "2024-05-04T10:00:00+00:00",
                    "completed_at": None,
                },
            ]
        },
    )
    with TestClient(make_app(settings)) as client:
        ingest = client.get("/metrics", headers=admin()).json()["ingest"]
    assert ingest == {
        "counts": {"total": 4, "successful": 1, "failed": 2, "running": 1},
        "last_success_at": "2024-05-01T10:10:00Z",
        "failure_streak": 2,
    }


def test_unreadable_ingest_runs_are_reported_in_message_not_as_an_error(
    settings: Settings, client: TestClient
) -> None:
    import sqlite3

    assert settings.state_db_path.exists()  # prepared when the service started
    with sqlite3.connect(settings.state_db_path) as connection:
        connection.execute("DROP TABLE ingest_runs")  # someone breaks it under the service
    response = client.get("/metrics", headers=admin())
    assert response.status_code == 200
    body = response.json()
    assert body["ingest"]["counts"]["total"] == 0
    assert "ingest registry unavailable" in body["message"]


def test_render_and_reconcile_sources_plug_in_through_app_hooks(app: FastAPI) -> None:
    app.state.container.dashboard_sources.render = lambda: summarise_render(
        [("running", "local"), ("succeeded", "opencue")]
    )
    app.state.container.dashboard_sources.reconcile = lambda: 7
    with TestClient(app) as client:
        body = client.get("/metrics", headers=admin()).json()
    assert body["render"] == {
        "jobs": 2,
        "by_status": {"running": 1, "completed": 1},  # item 8: documented name
        "by_farm": {"local": 1, "opencue": 1},
    }
    assert body["status"]["errors"] == 7


def test_a_failing_render_source_never_fails_metrics(app: FastAPI) -> None:
    def farm_down():
        raise AdapterUnavailable("render store locked")

    app.state.container.dashboard_sources.render = farm_down
    with TestClient(app) as client:
        response = client.get("/metrics", headers=admin())
    assert response.status_code == 200
    assert response.json()["render"]["jobs"] == 0
    assert "render store locked" in response.json()["message"]


def test_warm_metrics_do_not_reach_the_tracker_again(
    client: TestClient, tracker: RecordingTracker
) -> None:
    client.get("/metrics", headers=admin())
    before = sum(tracker.calls.values())
    for _ in range(5):
        assert client.get("/metrics", headers=admin()).status_code == 200
    assert sum(tracker.calls.values()) == before


def test_configured_projects_join_the_tracker_list(
    data_dir: Path, make_app, tracker: RecordingTracker
) -> None:
    from tests.integration.web.conftest import make_settings, saved_projects

    settings = make_settings(data_dir, dashboard={"projects": "NEWSHOW, FG"})
    with TestClient(make_app(settings)) as client:
        body = client.get("/metrics", headers=admin()).json()
    assert body["status"]["projects"] == 2
    assert [p["project"] for p in body["review"]["projects"]] == ["FG", "NEWSHOW"]
    saved = saved_projects(settings)
    assert saved is not None and [p["code"] for p in saved.projects] == ["FG", "NEWSHOW"]


def test_review_duration_is_probed_from_media_when_the_tracker_has_none(
    settings: Settings, make_app, tracker: RecordingTracker, tmp_path: Path
) -> None:
    from dataclasses import replace

    from tests.integration.test_media_durations import write_clip

    clip = tmp_path / "review.mp4"
    write_clip(clip, frames=72)
    code = "ep010_sh010_comp_v001"
    tracker.versions["FG"][code] = replace(
        tracker.versions["FG"][code], duration_seconds=None, path=str(clip)
    )
    with TestClient(make_app(settings)) as client:
        review = client.get("/metrics", headers=admin()).json()["review"]["projects"][0]
    assert review["duration_seconds"] == pytest.approx(3.0 + 2.5, abs=0.1)
    assert _probed_duration(settings, clip) == pytest.approx(3.0, abs=0.1)  # kept for next time


def test_the_tracker_double_satisfies_the_tracker_port(tracker: RecordingTracker) -> None:
    from onepiece.adapters.trackers.base import Tracker

    assert isinstance(tracker, Tracker)


def _probed_duration(settings: Settings, clip: Path) -> float | None:
    from onepiece.state.db.caches import SqlMediaFactsStore
    from onepiece.state.db.engine import engine_for

    engine = engine_for(settings)
    try:
        fact = SqlMediaFactsStore(engine).get(str(clip))
    finally:
        engine.dispose()
    return None if fact is None else fact.seconds
