"""The render queue status service against the fake Cuebot: every state a dashboard shows."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import grpc

from onepiece.adapters.farms.opencue.farm import create
from onepiece.bootstrap import build_opencue_queue
from onepiece.config import Settings
from onepiece.domain.render import JobRequest
from onepiece.services.render.opencue_status import OpenCueStatusService
from tests.fake_cuebot import FakeCuebot, reset_pycue
from tests.integration.opencue.conftest import MakeSettings

REQUEST = JobRequest(
    dcc="nuke",
    scene="/shows/testing/sh020/sh020_comp_v007.nk",
    frames="1-4",
    output="/renders/sh020/comp.####.exr",
    farm="opencue",
    chunk_size=1,
    user="bob",
)


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def finish(cuebot: FakeCuebot, job_id: str, **step: object) -> None:
    for _ in range(10):
        cuebot.step(job_id, **step)


def test_not_configured_names_the_variables_to_set(opencue_settings: MakeSettings) -> None:
    report = OpenCueStatusService(
        opencue_settings(None), source_factory=build_opencue_queue
    ).summary()
    body = report.as_dict()
    assert (body["enabled"], body["available"], body["source"]) == (False, False, "OpenCue")
    assert "OPENCUE_HOSTS" in body["message"] and "OPENCUE_DEFAULT_SHOW" in body["message"]
    assert body["summary"] == {"cued": 0, "running": 0, "success": 0, "fail": 0}


def test_malformed_hosts_are_enabled_but_unavailable_naming_the_value(
    opencue_settings: MakeSettings,
) -> None:
    service = OpenCueStatusService(
        opencue_settings("cuebot01:8443,garbage"), source_factory=build_opencue_queue
    )
    body = service.details().as_dict(details=True)
    assert (body["enabled"], body["available"]) == (True, False)
    assert "'garbage' has no port" in body["message"]
    assert body["jobs"] == []


def test_summary_counts_jobs_per_bucket(fake_cuebot: FakeCuebot, cue_settings: Settings) -> None:
    farm = create(cue_settings)
    done, dead, killed, running, queued = (farm.submit(REQUEST) for _ in range(5))
    finish(fake_cuebot, done)
    finish(fake_cuebot, dead, fail={2})
    farm.cancel(killed, "not needed")
    fake_cuebot.step(running)
    service = OpenCueStatusService(cue_settings, source_factory=build_opencue_queue)
    body = service.summary().as_dict()
    assert (body["enabled"], body["available"], body["message"]) == (True, True, None)
    assert body["summary"] == {"cued": 1, "running": 1, "success": 1, "fail": 2}
    assert body["last_updated"].endswith("Z")
    assert "jobs" not in body
    assert queued


def test_details_list_each_job_with_layers_hosts_frames_and_utc_times(
    fake_cuebot: FakeCuebot, cue_settings: Settings
) -> None:
    farm = create(cue_settings)
    running = farm.submit(REQUEST)
    done = farm.submit(REQUEST)
    fake_cuebot.step(running)
    finish(fake_cuebot, done)
    body = (
        OpenCueStatusService(cue_settings, source_factory=build_opencue_queue)
        .details()
        .as_dict(details=True)
    )
    rows = {row["job_id"]: row for row in body["jobs"]}
    assert set(rows) == {running, done}
    live = rows[running]
    assert (live["show"], live["shot"], live["layers"], live["user"]) == (
        "testing",
        "sh020_comp_v007",
        ["nuke"],
        "bob",
    )
    assert (live["status"], live["job_status"], live["state"]) == ("running", "running", "PENDING")
    assert live["hosts"] == ["render01", "render02"]
    assert live["frames"] == {
        "total": 4,
        "waiting": 2,
        "running": 2,
        "succeeded": 0,
        "failed": 0,
        "dead": 0,
    }
    assert live["started_at"].endswith("Z") and live["finished_at"] is None
    finished = rows[done]
    assert (finished["status"], finished["hosts"]) == ("success", [])
    assert finished["finished_at"].endswith("Z")
    assert body["summary"] == {"cued": 0, "running": 1, "success": 1, "fail": 0}


def test_unknown_show_is_a_clear_message_not_an_error(
    fake_cuebot: FakeCuebot, opencue_settings: MakeSettings
) -> None:
    settings = opencue_settings(fake_cuebot.address, OPENCUE_DEFAULT_SHOW="nosuchshow")
    body = OpenCueStatusService(settings, source_factory=build_opencue_queue).summary().as_dict()
    assert (body["enabled"], body["available"]) == (True, False)
    assert "show 'nosuchshow' does not exist" in body["message"]


def test_cuebot_stopped_mid_run_turns_unavailable_then_recovers(
    fake_cuebot: FakeCuebot, cue_settings: Settings
) -> None:
    create(cue_settings).submit(REQUEST)
    service = OpenCueStatusService(cue_settings, source_factory=build_opencue_queue)
    assert service.summary().available
    fake_cuebot.stop()
    down = service.summary()
    assert (down.enabled, down.available) == (True, False)
    assert down.message and fake_cuebot.address in down.message
    assert down.summary == {"cued": 0, "running": 0, "success": 0, "fail": 0}
    fake_cuebot.start(fake_cuebot.port)
    with grpc.insecure_channel(fake_cuebot.address) as channel:
        grpc.channel_ready_future(channel).result(timeout=30)
    # pycue's channel reconnects on gRPC's backoff (seconds): each ask waits up to the timeout.
    back = next((r for r in (service.summary() for _ in range(15)) if r.available), down)
    assert back.available and back.summary["cued"] == 1


def test_cuebot_too_slow_is_unavailable_within_the_timeout(
    fake_cuebot: FakeCuebot, opencue_settings: MakeSettings
) -> None:
    settings = opencue_settings(
        fake_cuebot.address, OPENCUE_DEFAULT_SHOW="testing", OPENCUE_TIMEOUT_SECONDS="0.3"
    )
    service = OpenCueStatusService(settings, source_factory=build_opencue_queue)
    assert service.summary().available
    fake_cuebot.hold()
    slow = service.summary()
    assert not slow.available
    assert slow.message and "did not answer within 0.3s" in slow.message


def test_answers_are_cached_briefly(fake_cuebot: FakeCuebot, cue_settings: Settings) -> None:
    farm = create(cue_settings)
    farm.submit(REQUEST)
    clock = Clock()
    service = OpenCueStatusService(
        cue_settings, cache_seconds=5, clock=clock, source_factory=build_opencue_queue
    )
    assert service.summary().summary["cued"] == 1
    farm.submit(REQUEST)
    clock.now += 4
    assert service.summary().summary["cued"] == 1  # still the cached answer
    clock.now += 2
    assert service.summary().summary["cued"] == 2


def test_details_answer_also_serves_the_summary(
    fake_cuebot: FakeCuebot, cue_settings: Settings
) -> None:
    farm = create(cue_settings)
    clock = Clock()
    service = OpenCueStatusService(
        cue_settings, cache_seconds=5, clock=clock, source_factory=build_opencue_queue
    )
    details = service.details()
    farm.submit(REQUEST)
    assert service.summary() is details


def test_missing_client_library_reports_the_install_hint(cue_settings: Settings) -> None:
    """In a Python where ``opencue`` cannot be imported (blocked in a subprocess)."""
    reset_pycue()
    script = textwrap.dedent(
        f"""
        import json, sys
        sys.modules["opencue"] = None  # as if opencue-pycue were not installed
        from onepiece.config import load_config
        from onepiece.bootstrap import build_opencue_queue
        from onepiece.services.render.opencue_status import OpenCueStatusService
        settings = load_config(environ={{"OPENCUE_HOSTS": {cue_settings.opencue.hosts!r}}}).settings
        service = OpenCueStatusService(settings, source_factory=build_opencue_queue)
        print(json.dumps(service.summary().as_dict()))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    body = json.loads(result.stdout)
    assert (body["enabled"], body["available"]) == (True, False)
    assert "not installed" in body["message"]
    assert "pip install 'onepiece[opencue]'" in body["message"]
