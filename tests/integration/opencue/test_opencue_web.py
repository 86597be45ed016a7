"""GET /render/opencue/summary and /details on the real app, with the fake Cuebot behind it."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient

from onepiece.adapters.farms.opencue.farm import create
from onepiece.config import Settings
from onepiece.domain.render import JobRequest
from onepiece.web.app import create_app
from tests.fake_cuebot import FakeCuebot
from tests.integration.opencue.conftest import MakeSettings
from tests.web_server import serve_app

ADMIN = "opencue-admin-5d1e8c"
READER = "opencue-reader-93b0aa"
TOKENS = {"TRAFALGAR_DASHBOARD_TOKEN": ADMIN}
REQUEST = JobRequest(
    dcc="maya",
    scene="/shows/testing/sh030/sh030_anim_v002.ma",
    frames="1001-1012",
    output="/renders/sh030/",
    farm="opencue",
    chunk_size=4,
    user="carol",
)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def web_settings(fake_cuebot: FakeCuebot, opencue_settings: MakeSettings) -> Settings:
    return opencue_settings(fake_cuebot.address, OPENCUE_DEFAULT_SHOW="testing", **TOKENS)


@pytest.fixture
def client(web_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(web_settings)) as test_client:
        yield test_client


def test_summary_and_details_report_the_queue(
    fake_cuebot: FakeCuebot, web_settings: Settings, client: TestClient
) -> None:
    farm = create(web_settings)
    running, queued = farm.submit(REQUEST), farm.submit(REQUEST)
    fake_cuebot.step(running)
    summary = client.get("/render/opencue/summary")
    assert summary.status_code == 200
    body = summary.json()
    assert body["summary"] == {"cued": 1, "running": 1, "success": 0, "fail": 0}
    assert (body["enabled"], body["available"], body["source"]) == (True, True, "OpenCue")
    assert set(body) == {"enabled", "available", "summary", "last_updated", "source", "message"}
    details = client.get("/render/opencue/details", headers=bearer(ADMIN))
    assert details.status_code == 200
    rows = {row["job_id"]: row for row in details.json()["jobs"]}
    assert rows[running]["hosts"] == ["render01", "render02"] and rows[queued]["hosts"] == []
    assert rows[running]["layers"] == ["maya"] and rows[running]["user"] == "carol"
    assert rows[running]["frames"]["total"] == 3 and rows[running]["frames"]["running"] == 2


def test_details_need_the_dashboard_token(client: TestClient) -> None:
    missing = client.get("/render/opencue/details")
    assert missing.status_code == 401
    assert missing.json()["error"]["code"] == "auth.missing_token"
    wrong = client.get("/render/opencue/details", headers=bearer("not-the-token"))
    assert wrong.json()["error"]["code"] == "auth.invalid_token"


def test_summary_needs_a_token_once_a_read_token_is_set(
    fake_cuebot: FakeCuebot, opencue_settings: MakeSettings
) -> None:
    settings = opencue_settings(
        fake_cuebot.address,
        OPENCUE_DEFAULT_SHOW="testing",
        TRAFALGAR_READ_TOKEN=READER,
        **TOKENS,
    )
    with TestClient(create_app(settings)) as client:
        assert client.get("/render/opencue/summary").status_code == 401
        assert client.get("/render/opencue/summary", headers=bearer(READER)).status_code == 200
        assert client.get("/render/opencue/summary", params={"token": READER}).status_code == 200
        # The read token does not open the details.
        assert client.get("/render/opencue/details", headers=bearer(READER)).status_code == 401


def test_not_configured_is_200_with_enabled_false(opencue_settings: MakeSettings) -> None:
    with TestClient(create_app(opencue_settings(None, **TOKENS))) as client:
        for path in ("/render/opencue/summary", "/render/opencue/details"):
            response = client.get(path, headers=bearer(ADMIN))
            assert response.status_code == 200
            body = response.json()
            assert (body["enabled"], body["available"]) == (False, False)
            assert "OPENCUE_HOSTS" in body["message"]


def test_malformed_hosts_are_200_naming_the_bad_value(opencue_settings: MakeSettings) -> None:
    with TestClient(create_app(opencue_settings("cuebot:8443,cuebot02:http", **TOKENS))) as client:
        body = client.get("/render/opencue/details", headers=bearer(ADMIN)).json()
    assert (body["enabled"], body["available"]) == (True, False)
    assert "'cuebot02:http'" in body["message"]


def test_unknown_show_is_200_with_a_clear_message(
    fake_cuebot: FakeCuebot, opencue_settings: MakeSettings
) -> None:
    settings = opencue_settings(fake_cuebot.address, OPENCUE_DEFAULT_SHOW="ghost", **TOKENS)
    with TestClient(create_app(settings)) as client:
        response = client.get("/render/opencue/summary")
    assert response.status_code == 200
    assert "show 'ghost' does not exist" in response.json()["message"]


def test_cuebot_stopped_mid_run_is_200_unavailable_on_a_live_server(
    fake_cuebot: FakeCuebot, web_settings: Settings
) -> None:
    create(web_settings).submit(REQUEST)
    with (
        serve_app(create_app(web_settings)) as server,
        httpx.Client(base_url=server.url, timeout=30) as http,
    ):
        up = http.get("/render/opencue/summary").json()
        assert up["available"] and up["summary"]["cued"] == 1
        fake_cuebot.stop()
        for path in ("/render/opencue/summary", "/render/opencue/details"):
            response = http.get(path, headers=bearer(ADMIN))
            assert response.status_code == 200
            body = response.json()
            assert (body["enabled"], body["available"]) == (True, False)
            assert fake_cuebot.address in body["message"]
        assert http.get("/health").status_code == 200  # the server itself stays healthy


def test_slow_cuebot_is_200_unavailable(
    fake_cuebot: FakeCuebot, opencue_settings: MakeSettings
) -> None:
    settings = opencue_settings(
        fake_cuebot.address, OPENCUE_DEFAULT_SHOW="testing", OPENCUE_TIMEOUT_SECONDS="0.3"
    )
    with TestClient(create_app(settings)) as client:
        assert client.get("/render/opencue/summary").json()["available"]
        fake_cuebot.hold()
        response = client.get("/render/opencue/summary")
    assert response.status_code == 200
    assert not response.json()["available"]
    assert "did not answer within 0.3s" in response.json()["message"]


def test_openapi_documents_both_routes(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/render/opencue/summary", "/render/opencue/details"} <= set(paths)
