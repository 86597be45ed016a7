"""The /review page and its routes on a real local tracker and storage.

Media are served with range requests (seeking) and cache headers, under the
read policy (``?token=`` for <img>/<video>); statuses change with the dashboard
token only.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from onepiece.bootstrap import bootstrap
from onepiece.domain.entities import ShotSpec, Version
from onepiece.services.review_media.options import ReviewOptions
from onepiece.services.review_media.worker import ReviewJob, run_jobs
from onepiece.web.app import create_app
from tests.integration.web.conftest import ADMIN_TOKEN, READ_TOKEN, make_settings
from tests.review_media_support import write_movie

BUCKET = "vendor-in"
CODE = "FG_ep010_sc02_0010_comp_v001"
BARE = "FG_ep010_sc02_0010_comp_v002"  # registered, no review media


def _client(tmp_path: Path, **trafalgar: str) -> TestClient:
    settings = make_settings(tmp_path / "data", project="FG", trafalgar=trafalgar)
    container = bootstrap(settings)
    tracker, storage = container.tracker, container.storage
    storage.ensure_bucket(BUCKET)
    tracker.ensure_project("FG")
    tracker.ensure_hierarchy("FG", [ShotSpec("ep010", "ep010_sc02", "ep010_sc02_0010")])
    clip = write_movie(tmp_path / "clip.mov", frames=12, timecode="01:00:00:00")
    keys = {}
    for code in (CODE, BARE):
        key = f"FG/ep010/sc02/0010/comp/{code}.mov"
        storage.put_file(BUCKET, key, clip)
        keys[code] = key
    tracker.create_versions(
        [
            Version(
                "FG",
                code,
                shot="ep010_sc02_0010",
                episode="ep010",
                status="rev",
                path=storage.uri(BUCKET, keys[code]),
                metadata={"bucket": BUCKET},
            )
            for code in (CODE, BARE)
        ]
    )
    job = ReviewJob("FG", CODE, BUCKET, keys[CODE], movie=clip)
    assert run_jobs([job], storage, tracker, ReviewOptions())[0].status == "made"
    return TestClient(create_app(container=container))


def test_the_page_lists_versions_with_their_review_records(tmp_path: Path) -> None:
    with _client(tmp_path) as client:
        page = client.get("/review")
        assert page.status_code == 200
        assert "/static/review.js" in page.text and 'value="FG"' in page.text
        listed = client.get("/review/FG/versions").json()["versions"]
    by_code = {row["code"]: row for row in listed}
    assert by_code[CODE]["review"] == {
        "thumbnail": True,
        "proxy": True,
        "fps": "24",
        "timecode": "01:00:00:00",
        "frames": 12,
        "first_frame": None,
        "held_frames": None,
    }
    assert by_code[BARE]["review"] is None


def test_media_are_served_with_ranges_and_cache_headers(tmp_path: Path) -> None:
    with _client(tmp_path) as client:
        whole = client.get(f"/review/FG/{CODE}/proxy")
        part = client.get(f"/review/FG/{CODE}/proxy", headers={"Range": "bytes=0-99"})
        thumb = client.get(f"/review/FG/{CODE}/thumbnail")
        missing = client.get(f"/review/FG/{BARE}/proxy")
    assert whole.status_code == 200 and whole.headers["content-type"] == "video/mp4"
    assert whole.headers["accept-ranges"] == "bytes"
    assert "max-age" in whole.headers["cache-control"]
    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes 0-99/{len(whole.content)}"
    assert part.content == whole.content[:100]
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    assert thumb.content[:2] == b"\xff\xd8"
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "tracker.not_found"


def test_a_read_token_guards_the_media_and_is_accepted_in_the_query(tmp_path: Path) -> None:
    with _client(tmp_path, read_token=READ_TOKEN) as client:
        assert client.get(f"/review/FG/{CODE}/thumbnail").status_code == 401
        assert client.get(f"/review/FG/{CODE}/thumbnail?token={READ_TOKEN}").status_code == 200
        assert client.get("/review").status_code == 401


@pytest.mark.parametrize(("verdict", "status"), [("approve", "apr"), ("changes", "rev")])
def test_status_changes_need_the_dashboard_token(tmp_path: Path, verdict: str, status: str) -> None:
    with _client(tmp_path) as client:
        url = f"/review/FG/{CODE}/status"
        assert client.post(url, json={"verdict": verdict}).status_code == 401
        wrong = client.post(url, json={"verdict": verdict}, headers={"Authorization": "Bearer x"})
        assert wrong.status_code == 401
        bad = client.post(
            url, json={"verdict": "ship it"}, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
        )
        assert bad.status_code == 422
        done = client.post(
            url, json={"verdict": verdict}, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
        )
        assert done.status_code == 200, done.text
        assert done.json()["version"]["status"] == status
        container = client.app.state.container  # type: ignore[attr-defined]
        assert container.tracker.find_version("FG", CODE).status == status
