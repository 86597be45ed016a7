"""/metrics and /projects/{project} over the real local (SQLite) tracker."""

from __future__ import annotations

from fastapi.testclient import TestClient

from onepiece.bootstrap import bootstrap
from onepiece.config import Settings
from onepiece.domain.entities import ShotSpec, Version
from onepiece.web.app import create_app
from tests.integration.web.conftest import admin


def populate_local(settings: Settings) -> None:
    container = bootstrap(settings)
    tracker = container.tracker
    try:
        tracker.ensure_project("FG", "Fox Glove")
        tracker.ensure_hierarchy(
            "FG",
            [
                ShotSpec("ep010", "sc01", "ep010_sc01_0010", status="ip"),
                ShotSpec("ep010", "sc01", "ep010_sc01_0020", status="IP"),
                ShotSpec("ep020", "sc01", "ep020_sc01_0010", status="Final"),
            ],
        )
        versions = [
            Version(
                "FG",
                f"ep010_sc01_0010_comp_v00{n}",
                shot="ep010_sc01_0010",
                episode="ep010",
                status=status,
                duration_seconds=1.0 * n,
            )
            for n, status in ((1, "rev"), (2, "apr"), (3, "APR"))
        ]
        tracker.create_versions(versions)
        tracker.create_playlist("FG", "dailies")
        tracker.add_to_playlist("FG", "dailies", [v.code for v in versions])
        tracker.ensure_project("ZZ", "Old show")
    finally:
        container.close()


def test_metrics_and_project_dashboard_from_the_local_tracker(settings: Settings) -> None:
    populate_local(settings)
    with TestClient(create_app(settings)) as client:
        metrics = client.get("/metrics", headers=admin()).json()
        board = client.get("/projects/FG").json()
        missing = client.get("/projects/NOPE")
    assert metrics["status"] == {"projects": 2, "shots": 3, "versions": 3, "errors": 0}
    fg = next(p for p in metrics["review"]["projects"] if p["project"] == "FG")
    assert fg == {"project": "FG", "playlists": 1, "clips": 3, "shots": 1, "duration_seconds": 6.0}
    assert board["status"]["versions"]["approved"] == 2
    assert board["status"]["shots"] == {**board["status"]["shots"], "in_progress": 2, "final": 1}
    assert [e["episode"] for e in board["episodes"]] == ["ep010", "ep020"]
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "tracker.not_found"
