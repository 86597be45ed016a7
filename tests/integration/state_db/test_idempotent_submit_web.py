"""Issue 15 item 7: ``POST /jobs`` with an ``Idempotency-Key`` over a real
uvicorn server, the keys on SQLite and on PostgreSQL: concurrent retries make
one job, a later retry gets it back (200), another body with the key is 422."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from tests.integration.state_db.conftest import ADMIN  # the server fixture's token
from tests.web_server import LiveServer


def _body(tmp_path: Path, frames: str = "1-4") -> dict[str, object]:
    scene = tmp_path / "scene.json"
    scene.write_text(json.dumps({"width": 16, "height": 8}))
    return {
        "dcc": "builtin",
        "scene": str(scene),
        "frames": frames,
        "output": str(tmp_path / "out" / "f.####.png"),
        "farm": "mock",
    }


def _post(server: LiveServer, body: dict[str, object], key: str | None) -> httpx.Response:
    headers = {**ADMIN, **({"Idempotency-Key": key} if key is not None else {})}
    return httpx.post(f"{server.url}/jobs", json=body, headers=headers, timeout=60)


def _job_ids(server: LiveServer) -> list[str]:
    return [job["id"] for job in httpx.get(f"{server.url}/jobs", timeout=30).json()["jobs"]]


def test_concurrent_retries_with_one_key_create_one_job(server: LiveServer, tmp_path: Path) -> None:
    body = _body(tmp_path)
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda _: _post(server, body, "retry-4f2a"), range(8)))
    assert all(a.status_code in (200, 201) for a in answers), [a.text for a in answers]
    assert [a.status_code for a in answers].count(201) == 1
    assert len({a.json()["id"] for a in answers}) == 1
    job_id = answers[0].json()["id"]
    assert _job_ids(server) == [job_id]

    later = _post(server, body, "retry-4f2a")
    assert later.status_code == 200 and later.json()["id"] == job_id
    assert later.headers["Idempotent-Replayed"] == "true"
    assert _job_ids(server) == [job_id]


def test_the_same_key_with_another_body_is_refused(server: LiveServer, tmp_path: Path) -> None:
    first = _post(server, _body(tmp_path), "key-b71")
    assert first.status_code == 201
    other = _post(server, _body(tmp_path, frames="1-8"), "key-b71")
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "request.idempotency_key_reused"
    assert _job_ids(server) == [first.json()["id"]]


def test_keys_are_checked_and_submits_without_one_are_unchanged(
    server: LiveServer, tmp_path: Path
) -> None:
    for bad in ("x" * 256, "with space"):
        answer = _post(server, _body(tmp_path), bad)
        assert answer.status_code == 422
        # Refused with the request's other fields, as its OpenAPI pattern says.
        assert answer.json()["error"]["code"] == "request.invalid"
    body = _body(tmp_path)
    assert _post(server, body, None).status_code == 201
    assert _post(server, body, None).status_code == 201
    assert len(_job_ids(server)) == 2
