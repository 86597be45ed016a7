"""GET /runs and /runs/{id}: registry reads, filters, 404 envelope, malformed JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from onepiece.atomicio import write_json
from onepiece.config import Settings
from onepiece.web.app import create_app


def _run(run_id: str, status: str, started: str) -> dict[str, Any]:
    return {"id": run_id, "status": status, "started_at": started, "project": "demo"}


def test_runs_are_listed_newest_first_filtered_and_fetched_by_id(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    write_json(
        settings.ingest_registry_path,
        {"runs": [_run("a", "completed", "2026-01-01T10:00:00"),
                  _run("b", "failed", "2026-01-03T10:00:00"),
                  _run("c", "completed", "2026-01-02T10:00:00")]},
    )  # fmt: skip
    with TestClient(create_app(settings)) as client:
        assert [r["id"] for r in client.get("/runs").json()["runs"]] == ["b", "c", "a"]
        completed = client.get("/runs", params={"status": "completed", "limit": 1}).json()
        assert [r["id"] for r in completed["runs"]] == ["c"]
        assert client.get("/runs/a").json()["project"] == "demo"
        missing = client.get("/runs/zzz")
        assert missing.status_code == 404
        assert missing.json()["error"]["code"] == "resource.not_found"


def test_runs_of_an_earlier_file_carry_over_and_stay_served_when_unreadable(
    tmp_path: Path,
) -> None:
    import sqlite3

    settings = Settings(data_dir=tmp_path / "data")
    registry = settings.ingest_registry_path
    write_json(registry, {"runs": [_run("a", "running", "2026-01-01T10:00:00")]})
    with TestClient(create_app(settings)) as client:  # imported into state.db at start
        assert client.get("/runs").json() == {
            "runs": [_run("a", "running", "2026-01-01T10:00:00")], "stale": False,
        }  # fmt: skip
        with sqlite3.connect(settings.state_db_path) as connection:
            connection.execute("DROP TABLE ingest_runs")  # broken under the service
            connection.execute("DROP TABLE state_meta")
        answer = client.get("/runs")
        assert answer.status_code == 200
        assert answer.json()["stale"] is True
        assert answer.json()["runs"][0]["status"] == "running"
        assert client.get("/runs/a").status_code == 200


def test_no_registry_yet_means_no_runs(tmp_path: Path) -> None:
    with TestClient(create_app(Settings(data_dir=tmp_path / "data"))) as client:
        assert client.get("/runs").json() == {"runs": [], "stale": False}
