"""Client mistakes are answered as such on both backends: a NUL character in an
address, a query or a body, and a cursor the server could not have issued, are
4xx answers naming the mistake, never a 500 or a ``state.unavailable`` 503
(PostgreSQL cannot hold NUL in text; SQLite cannot hold integers past 64 bits)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import httpx
import pytest

from tests.integration.state_db.conftest import ADMIN  # the server fixture's token
from tests.web_server import LiveServer


def _cursor(key: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/jobs/%00", 404),
        ("GET", "/jobs/a%00b", 404),
        ("DELETE", "/jobs/%00", 404),
        ("POST", "/jobs/a%00b/cancel", 404),
        ("GET", "/jobs?farm=%00", 422),
        ("GET", "/jobs?farm=mo%00ck&limit=5", 422),
        ("GET", "/runs?status=%00", 422),
        ("GET", "/jobs?cursor=" + _cursor([2**63]), 404),
        ("GET", "/jobs?cursor=" + _cursor([-(2**63) - 1]), 404),
        ("GET", "/jobs?cursor=" + _cursor([10**30]), 404),
        ("GET", "/runs?cursor=" + _cursor(["2026\u0000", "x"]), 404),
        ("GET", "/runs?cursor=" + _cursor(["2026", "x" * 1200]), 404),
    ],
)
def test_a_hostile_address_is_a_client_error(
    server: LiveServer, method: str, path: str, status: int
) -> None:
    answer = httpx.request(method, server.url + path, headers=ADMIN, timeout=30)
    assert answer.status_code == status, answer.text
    assert answer.json()["error"]["code"] not in ("internal.error", "state.unavailable")


@pytest.mark.parametrize("field", ["dcc", "scene", "frames", "output", "farm", "user"])
def test_a_nul_character_in_a_submitted_job_is_refused_before_the_farm(
    server: LiveServer, tmp_path: Path, field: str
) -> None:
    scene = tmp_path / "scene.json"
    scene.write_text(json.dumps({"width": 16, "height": 8}))
    body = {"dcc": "builtin", "scene": str(scene), "frames": "1-2", "farm": "mock",
            "output": str(tmp_path / "f.####.png"), "user": "ana"}  # fmt: skip
    body[field] = str(body[field])[:2] + "\u0000" + str(body[field])[2:]
    answer = httpx.post(f"{server.url}/jobs", json=body, headers=ADMIN, timeout=30)
    assert answer.status_code == 422, answer.text
    assert httpx.get(f"{server.url}/jobs", headers=ADMIN).json()["jobs"] == []  # nothing sent


def test_a_nul_character_in_a_cancel_reason_is_refused(server: LiveServer, tmp_path: Path) -> None:
    scene = tmp_path / "scene.json"
    scene.write_text(json.dumps({"width": 16, "height": 8}))
    body = {"dcc": "builtin", "scene": str(scene), "frames": "1-200", "farm": "mock",
            "output": str(tmp_path / "f.####.png")}  # fmt: skip
    job = httpx.post(f"{server.url}/jobs", json=body, headers=ADMIN, timeout=30).json()
    answer = httpx.post(
        f"{server.url}/jobs/{job['id']}/cancel", json={"reason": "a\u0000b"}, headers=ADMIN
    )
    assert answer.status_code == 422, answer.text
