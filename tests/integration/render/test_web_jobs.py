"""The job API over a real uvicorn server: auth, submit, list, get, cancel, farms, health."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from onepiece.config import Settings
from onepiece.web.app import create_app
from tests.web_server import LiveServer, serve_app

TOKEN = "render-admin-7f3a9c"


def _settings(tmp_path: Path, **trafalgar: object) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        trafalgar=trafalgar,
        render={"poll_seconds": 0.05, "mock_enabled": True},
    )


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    with serve_app(create_app(_settings(tmp_path, dashboard_token=TOKEN))) as live:
        yield live


def _body(scene: Path, tmp_path: Path, **extra: object) -> dict[str, object]:
    return {
        "dcc": "builtin",
        "scene": str(scene),
        "frames": "1-4",
        "output": str(tmp_path / "out" / "f.####.png"),
        **extra,
    }


ADMIN = {"Authorization": f"Bearer {TOKEN}"}


def test_mutations_need_the_dashboard_token(
    server: LiveServer, tmp_path: Path, make_scene: Callable[..., Path]
) -> None:
    body = _body(make_scene(), tmp_path, farm="mock")
    missing = httpx.post(f"{server.url}/jobs", json=body)
    assert missing.status_code == 401 and missing.json()["error"]["code"] == "auth.missing_token"
    wrong = httpx.post(f"{server.url}/jobs", json=body, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "auth.invalid_token"
    created = httpx.post(f"{server.url}/jobs", json=body, headers=ADMIN)
    assert created.status_code == 201
    job_id = created.json()["id"]
    for method, path in (("POST", f"/jobs/{job_id}/cancel"), ("DELETE", f"/jobs/{job_id}")):
        denied = httpx.request(method, server.url + path)
        assert denied.status_code == 401
    assert httpx.get(f"{server.url}/jobs/{job_id}").status_code == 200  # reads are open


def test_without_a_dashboard_token_configured_mutations_answer_503(
    tmp_path: Path, make_scene: Callable[..., Path]
) -> None:
    with serve_app(create_app(_settings(tmp_path))) as live:
        answer = httpx.post(f"{live.url}/jobs", json=_body(make_scene(), tmp_path), headers=ADMIN)
    assert answer.status_code == 503
    assert answer.json()["error"]["code"] == "auth.not_configured"


def test_submit_list_filter_get_and_cancel(
    server: LiveServer, tmp_path: Path, make_scene: Callable[..., Path]
) -> None:
    slow = make_scene("slow.json", delay=5)
    first = httpx.post(f"{server.url}/jobs", json=_body(slow, tmp_path), headers=ADMIN).json()
    second = httpx.post(
        f"{server.url}/jobs", json=_body(slow, tmp_path, farm="mock", priority=10), headers=ADMIN
    ).json()
    assert first["farm"] == "local" and first["status"] == "queued"
    assert first["frame_counts"]["total"] == 4 and first["chunk_size"] == 10
    listed = httpx.get(f"{server.url}/jobs").json()["jobs"]
    assert [j["id"] for j in listed] == [second["id"], first["id"]]  # newest first
    only_mock = httpx.get(f"{server.url}/jobs", params={"farm": "mock"}).json()["jobs"]
    assert [j["id"] for j in only_mock] == [second["id"]]
    assert len(httpx.get(f"{server.url}/jobs", params={"limit": 1}).json()["jobs"]) == 1
    bad = httpx.get(f"{server.url}/jobs", params={"status": "exploded"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "request.invalid"

    cancelled = httpx.post(
        f"{server.url}/jobs/{first['id']}/cancel", json={"reason": "wrong lens"}, headers=ADMIN
    )
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["message"] == "cancelled: wrong lens"
    deleted = httpx.delete(f"{server.url}/jobs/{second['id']}", headers=ADMIN)
    assert deleted.json()["status"] == "cancelled"
    by_status = httpx.get(f"{server.url}/jobs", params={"status": "cancelled"}).json()["jobs"]
    assert {j["id"] for j in by_status} == {first["id"], second["id"]}


def test_errors_come_back_in_the_envelope(
    server: LiveServer, tmp_path: Path, make_scene: Callable[..., Path]
) -> None:
    missing = httpx.get(f"{server.url}/jobs/doesnotexist")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "render.job_not_found"
    cases = [
        (_body(make_scene(), tmp_path, frames="1-x"), 422, "validation.invalid"),
        (_body(make_scene(), tmp_path, farm="nowhere"), 404, "render.farm_not_found"),
        (_body(make_scene(), tmp_path, dcc="unreal"), 422, "adapter.job_rejected"),
        (_body(tmp_path / "missing.blend", tmp_path), 422, "adapter.job_rejected"),
        ({"dcc": "builtin"}, 422, "request.invalid"),
    ]
    for body, status, code in cases:
        answer = httpx.post(f"{server.url}/jobs", json=body, headers=ADMIN)
        assert (answer.status_code, answer.json()["error"]["code"]) == (status, code), body


def test_farms_and_health_report_capabilities_and_history(server: LiveServer) -> None:
    farms = httpx.get(f"{server.url}/farms").json()
    assert farms["default"] == "local"
    by_name = {f["name"]: f for f in farms["farms"]}
    assert by_name["local"]["available"] and by_name["local"]["cancellation"]
    assert by_name["mock"]["chunking"] is False
    # The local farm tells which renderers its machine has (docs/api.md, GET /farms).
    local = by_name["local"]
    assert "builtin" in local["dccs"] and "builtin" not in local["missing_dccs"]
    assert not set(local["dccs"]) & set(local["missing_dccs"])
    assert "dccs" not in by_name["mock"]  # a farm that cannot tell leaves them out
    health = httpx.get(f"{server.url}/health").json()
    history = health["render"]["history"]
    assert {"size", "pruned_by_retention", "last_compaction_at"} <= set(history)
    assert health["render"]["poller"]["running"] is True


def test_metrics_report_render_jobs_by_status_and_farm(
    server: LiveServer, tmp_path: Path, make_scene: Callable[..., Path]
) -> None:
    httpx.post(f"{server.url}/jobs", json=_body(make_scene(), tmp_path, farm="mock"), headers=ADMIN)
    render = httpx.get(f"{server.url}/metrics", headers=ADMIN).json()["render"]
    assert render["jobs"] == 1
    assert render["by_farm"] == {"mock": 1}
    assert sum(render["by_status"].values()) == 1
