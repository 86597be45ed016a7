"""``onepiece opencue status`` in a subprocess, against the fake Cuebot on loopback."""

from __future__ import annotations

import json

from onepiece.adapters.farms.opencue.farm import OpenCueFarm
from onepiece.config.model import OpenCueSettings
from onepiece.domain.render import JobRequest
from tests.e2e.conftest import Run
from tests.fake_cuebot import FakeCuebot

REQUEST = JobRequest(
    dcc="blender",
    scene="/shows/testing/sh040/sh040_fx_v010.blend",
    frames="1-6",
    output="/renders/sh040/fx.####.exr",
    farm="opencue",
    chunk_size=3,
    user="dana",
)


def env_for(cuebot: FakeCuebot, **extra: str) -> dict[str, str]:
    return {"OPENCUE_HOSTS": cuebot.address, "OPENCUE_DEFAULT_SHOW": "testing", **extra}


def test_status_prints_the_summary_as_json(onepiece: Run, fake_cuebot: FakeCuebot) -> None:
    farm = OpenCueFarm(OpenCueSettings(hosts=fake_cuebot.address, default_show="testing"))
    job_id = farm.submit(REQUEST)
    fake_cuebot.step(job_id)
    result = onepiece("opencue", "status", "--format", "json", env=env_for(fake_cuebot))
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["summary"] == {"cued": 0, "running": 1, "success": 0, "fail": 0}
    assert body["available"] is True


def test_status_details_in_text_list_each_job(onepiece: Run, fake_cuebot: FakeCuebot) -> None:
    farm = OpenCueFarm(OpenCueSettings(hosts=fake_cuebot.address, default_show="testing"))
    job_id = farm.submit(REQUEST)
    for _ in range(3):
        fake_cuebot.step(job_id)
    result = onepiece("opencue", "status", "--details", env=env_for(fake_cuebot))
    assert result.returncode == 0, result.stderr
    assert "OpenCue: available" in result.stdout
    assert "success" in result.stdout and "frames 2/2 done" in result.stdout
    assert "user dana" in result.stdout


def test_status_not_configured_exits_3(onepiece: Run) -> None:
    result = onepiece("opencue", "status")
    assert result.returncode == 3
    assert "OPENCUE_HOSTS" in result.stdout


def test_status_with_cuebot_down_exits_8(onepiece: Run, fake_cuebot: FakeCuebot) -> None:
    env = env_for(fake_cuebot)
    fake_cuebot.stop()
    result = onepiece("opencue", "status", "--format", "json", env=env)
    assert result.returncode == 8
    body = json.loads(result.stdout)
    assert body["available"] is False and fake_cuebot.address in body["message"]


def test_status_with_malformed_hosts_exits_3_naming_the_value(onepiece: Run) -> None:
    result = onepiece("opencue", "status", env={"OPENCUE_HOSTS": "cuebot01:84x3"})
    assert result.returncode == 3
    assert "'cuebot01:84x3'" in result.stdout


def test_render_commands_drive_an_opencue_job(onepiece: Run, fake_cuebot: FakeCuebot) -> None:
    """onepiece render submit/status/cancel/farms with --farm opencue, in subprocesses."""
    env = env_for(fake_cuebot)
    farms = onepiece("render", "farms", "--format", "json", env=env)
    assert farms.returncode == 0, farms.stderr
    listed = {farm["name"]: farm for farm in json.loads(farms.stdout)["farms"]}
    assert listed["opencue"]["available"] is True
    submitted = onepiece(
        "render", "submit", "--farm", "opencue", "--dcc", "blender",
        "--scene", REQUEST.scene, "--frames", "1-6", "--chunk-size", "3",
        "--output", REQUEST.output, "--user", "dana", "--format", "json",
        env=env,
    )  # fmt: skip
    assert submitted.returncode == 0, submitted.stderr
    job = json.loads(submitted.stdout)
    assert job["farm"] == "opencue" and job["farm_job_id"] in fake_cuebot.state.jobs
    fake_cuebot.step(job["farm_job_id"])
    running = onepiece("render", "status", job["id"], "--format", "json", env=env)
    assert running.returncode == 0, running.stderr
    counts = json.loads(running.stdout)["frame_counts"]
    assert (json.loads(running.stdout)["status"], counts["running"], counts["total"]) == (
        "running",
        6,
        6,
    )
    cancelled = onepiece("render", "cancel", job["id"], "--reason", "re-cut", env=env)
    assert cancelled.returncode == 0, cancelled.stderr
    assert fake_cuebot.job(job["farm_job_id"]).kill_reason == "OnePiece: re-cut"
