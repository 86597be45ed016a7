"""OpenCue's availability tells the truth: /farms, `render farms` and /health follow Cuebot."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from fastapi.testclient import TestClient

from onepiece.web.app import create_app
from tests.fake_cuebot import FakeCuebot
from tests.integration.opencue.conftest import MakeSettings


def _opencue_row(client: TestClient) -> dict[str, object]:
    farms = client.get("/farms").json()["farms"]
    return next(farm for farm in farms if farm["name"] == "opencue")


def test_farms_and_health_say_unavailable_once_cuebot_stops(
    fake_cuebot: FakeCuebot, opencue_settings: MakeSettings
) -> None:
    settings = opencue_settings(fake_cuebot.address, OPENCUE_DEFAULT_SHOW="testing")
    with TestClient(create_app(settings)) as client:
        assert _opencue_row(client)["available"] is True
        health = client.get("/health").json()
        assert health["opencue"]["available"] is True
        assert health["status"] == "ok"

        fake_cuebot.stop()

        row = _opencue_row(client)
        assert row["available"] is False
        assert "Cuebot" in str(row["message"])
        health = client.get("/health").json()
        assert health["opencue"]["status"] == "unavailable"
        assert health["opencue"]["available"] is False
        assert "Cuebot" in health["opencue"]["message"]
        assert health["status"] == "degraded"


def test_health_has_an_opencue_section_when_opencue_is_not_configured(
    opencue_settings: MakeSettings,
) -> None:
    with TestClient(create_app(opencue_settings(None))) as client:
        health = client.get("/health").json()
    assert health["opencue"]["enabled"] is False
    assert health["opencue"]["status"] == "ok"
    assert health["status"] == "ok"


def test_render_farms_cli_says_unavailable_for_a_stopped_cuebot(
    fake_cuebot: FakeCuebot, isolated_env: object
) -> None:
    env = {
        **os.environ,
        "OPENCUE_HOSTS": fake_cuebot.address,
        "OPENCUE_DEFAULT_SHOW": "testing",
        "OPENCUE_TIMEOUT_SECONDS": "2",
    }
    command = [sys.executable, "-m", "onepiece", "render", "farms", "--format", "json"]
    up = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    fake_cuebot.stop()
    down = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)

    def opencue(result: subprocess.CompletedProcess[str]) -> dict[str, object]:
        assert result.returncode == 0, result.stderr
        return next(f for f in json.loads(result.stdout)["farms"] if f["name"] == "opencue")

    assert opencue(up)["available"] is True
    assert opencue(down)["available"] is False
    assert "Cuebot" in str(opencue(down)["message"])
