"""``GET /summary/trends`` on a real local tracker, storage, run registry and job history."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from onepiece.atomicio import write_json
from onepiece.bootstrap import Container, bootstrap
from onepiece.config import Settings
from onepiece.domain.entities import ShotSpec, Version
from onepiece.domain.render import FrameCounts, JobRequest, JobStatus, RenderJob
from onepiece.services.review_media.options import ReviewOptions
from onepiece.services.review_media.worker import ReviewJob, run_jobs
from onepiece.web.app import create_app
from tests.integration.web.conftest import READ_TOKEN, admin, make_settings
from tests.review_media_support import write_movie
from tests.tracker_double import RecordingTracker

BUCKET = "vendor-in"
SHOT = "ep010_sc02_0010"


def _day(days_ago: int) -> datetime:
    return datetime.combine(date.today(), datetime.min.time(), tzinfo=UTC).replace(
        hour=12
    ) - timedelta(days=days_ago)


def _render_job(job_id: str, status: JobStatus, days_ago: int) -> RenderJob:
    at = _day(days_ago)
    request = JobRequest("builtin", "/s.json", "1-10", "/o.####.png", "local")
    return RenderJob(job_id, request, f"local-{job_id}", status, at, at, FrameCounts(10))


def _run(run_id: str, status: str, days_ago: int, size: int, files: int) -> dict[str, Any]:
    return {
        "id": run_id,
        "status": status,
        "project": "FG",
        "folder": "/srv/secret/vendor",
        "started_at": _day(days_ago).isoformat(),
        "counts": {"bytes_planned": size, "files": files},
    }


def _container(tmp_path: Path, **trafalgar: str) -> Container:
    settings = make_settings(
        tmp_path / "data", project="FG", dashboard={"projects": ["FG"]}, trafalgar=trafalgar
    )
    container = bootstrap(settings)
    tracker, storage = container.tracker, container.storage
    storage.ensure_bucket(BUCKET)
    tracker.ensure_project("FG")
    tracker.ensure_hierarchy("FG", [ShotSpec("ep010", "ep010_sc02", SHOT)])
    clip = write_movie(tmp_path / "clip.mov", frames=6)
    made = [("FG_comp_v001", "apr", 3), ("FG_comp_v002", "rev", 1), ("FG_comp_v003", "ip", 0)]
    for code, status, days_ago in made:
        key = f"FG/ep010/{code}/{code}.mov"
        storage.put_file(BUCKET, key, clip)
        tracker.create_versions(
            [
                Version(
                    "FG",
                    code,
                    shot=SHOT,
                    status=status,
                    path=storage.uri(BUCKET, key),
                    created_at=_day(days_ago),
                    metadata={"bucket": BUCKET},
                )
            ]
        )
        if code != "FG_comp_v001":  # the oldest has no review media
            job = ReviewJob("FG", code, BUCKET, key, movie=clip)
            assert run_jobs([job], storage, tracker, ReviewOptions())[0].status == "made"
    runs = [
        _run("r1", "completed", 2, 1000, 3),
        _run("r2", "failed", 2, 500, 1),
        _run("r3", "completed", 0, 4000, 8),
        _run("old", "completed", 40, 9, 9),  # outside the window
    ]
    write_json(settings.ingest_registry_path, {"format": 1, "runs": runs})
    store = container.render_jobs.store
    store.add(_render_job("j1", JobStatus.succeeded, 1))
    store.add(_render_job("j2", JobStatus.failed, 1))
    store.add(_render_job("j3", JobStatus.succeeded, 0))
    return container


def test_trends_count_each_day_from_the_containers_stores(tmp_path: Path) -> None:
    container = _container(tmp_path)
    with TestClient(create_app(container=container)) as client:
        answer = client.get("/summary/trends", params={"days": 7})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    days = [(date.today() - timedelta(days=n)).isoformat() for n in range(6, -1, -1)]
    assert body["days"] == days
    runs = body["ingest_runs"]["series"]
    assert runs["completed"] == [0, 0, 0, 0, 1, 0, 1]
    assert runs["failed"] == [0, 0, 0, 0, 1, 0, 0]
    volume = body["ingest_volume"]["series"]
    assert volume["bytes"] == [0, 0, 0, 0, 1500, 0, 4000]
    assert volume["files"] == [0, 0, 0, 0, 4, 0, 8]
    render = body["render"]["series"]
    assert render["completed"] == [0, 0, 0, 0, 0, 1, 1]
    assert render["failed"] == [0, 0, 0, 0, 0, 1, 0]
    versions = body["versions"]["series"]
    assert versions["approved"] == [0, 0, 0, 1, 0, 0, 0]
    assert versions["review"] == [0, 0, 0, 0, 0, 1, 0]
    assert versions["in_progress"] == [0, 0, 0, 0, 0, 0, 1]
    latest = body["latest"]
    assert [row["code"] for row in latest] == ["FG_comp_v003", "FG_comp_v002", "FG_comp_v001"]
    assert latest[0]["thumbnail_url"] == "/review/FG/FG_comp_v003/thumbnail"
    assert latest[2]["thumbnail_url"] is None
    assert "/srv/secret" not in answer.text and str(tmp_path) not in answer.text


def test_each_thumbnail_route_serves_the_picture_with_cache_headers(tmp_path: Path) -> None:
    with TestClient(create_app(container=_container(tmp_path))) as client:
        latest = client.get("/summary/trends").json()["latest"]
        for row in latest:
            if row["thumbnail_url"] is None:
                continue
            picture = client.get(row["thumbnail_url"])
            assert picture.status_code == 200
            assert picture.headers["content-type"] == "image/jpeg"
            assert "max-age" in picture.headers["cache-control"]
            assert picture.content[:3] == b"\xff\xd8\xff"


def test_trends_follow_the_read_policy_and_bound_days(tmp_path: Path) -> None:
    container = _container(tmp_path, read_token=READ_TOKEN)
    with TestClient(create_app(container=container)) as client:
        assert client.get("/summary/trends").status_code == 401
        granted = client.get("/summary/trends", headers={"Authorization": f"Bearer {READ_TOKEN}"})
        assert granted.status_code == 200
        assert len(granted.json()["days"]) == 14
        for days in (0, 91, "x"):
            refused = client.get(
                "/summary/trends",
                params={"days": days},
                headers={"Authorization": f"Bearer {READ_TOKEN}"},
            )
            assert refused.status_code == 422, days


def test_trends_keep_the_last_tracker_figures_and_say_so_while_it_is_down(
    client: TestClient, tracker: RecordingTracker
) -> None:
    assert client.post("/admin/cache", headers=admin(), json={"ttl": 0}).status_code == 200
    healthy = client.get("/summary/trends").json()
    assert [row["code"] for row in healthy["latest"]][0] == "ep020_sh010_comp_v001"
    assert healthy["message"] is None
    tracker.available = False

    answer = client.get("/summary/trends")

    assert answer.status_code == 200
    body = answer.json()
    assert "tracker double is down" in body["message"]
    assert body["latest"] == healthy["latest"]
    assert body["ingest_runs"] == healthy["ingest_runs"]


def test_a_damaged_run_registry_is_named_without_its_path(
    client: TestClient, settings: Settings
) -> None:
    settings.ingest_registry_path.parent.mkdir(parents=True, exist_ok=True)
    settings.ingest_registry_path.write_text("{not json")

    body = client.get("/summary/trends").json()

    assert "ingest registry: the ingest run registry is not valid JSON" in body["message"]
    assert str(settings.data_dir) not in body["message"]
    assert sum(sum(v) for v in body["ingest_runs"]["series"].values()) == 0


def test_a_verdict_on_the_review_page_shows_in_the_trends_at_once(tmp_path: Path) -> None:
    container = _container(tmp_path)
    with TestClient(create_app(container=container)) as client:
        before = client.get("/summary/trends", params={"days": 7}).json()
        assert before["versions"]["series"]["in_progress"][-1] == 1
        verdict = client.post(
            "/review/FG/FG_comp_v003/status", headers=admin(), json={"verdict": "approve"}
        )
        assert verdict.status_code == 200, verdict.text
        after = client.get("/summary/trends", params={"days": 7}).json()
    assert after["versions"]["series"]["in_progress"][-1] == 0
    assert after["versions"]["series"]["approved"][-1] == 1
    assert after["latest"][0]["bucket"] == "approved"
