"""The opencue farm adapter against a Cuebot speaking the real gRPC protocol."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from xml.etree import ElementTree

import pytest

from onepiece.adapters.farms.base import Farm
from onepiece.adapters.farms.opencue.farm import OpenCueFarm, create
from onepiece.config import Settings
from onepiece.domain.render import JobRequest, JobStatus
from onepiece.errors import AdapterUnavailable, ConfigError, JobNotFound, JobRejected
from tests.fake_cuebot import FakeCuebot, reset_pycue
from tests.integration.opencue.conftest import MakeSettings

REQUEST = JobRequest(
    dcc="blender",
    scene="/shows/testing/sh010/sh010_lighting_v003.blend",
    frames="1-10",
    output="/renders/sh010/beauty.####.exr",
    farm="opencue",
    chunk_size=2,
    priority=60,
    user="alice",
)


def run_to_end(cuebot: FakeCuebot, farm: OpenCueFarm, job_id: str, **step: object) -> list[str]:
    """Step the fake farm until the job finishes or stalls; return the statuses seen."""
    seen = [farm.status(job_id).status.value]
    for _ in range(20):
        cuebot.step(job_id, **step)
        state = farm.status(job_id)
        seen.append(state.status.value)
        if state.status.finished:
            break
    return seen


def test_factory_builds_a_farm_that_fits_the_port(cue_settings: Settings) -> None:
    farm = create(cue_settings)
    assert isinstance(farm, Farm)
    capabilities = farm.capabilities()
    assert (capabilities.name, capabilities.chunking, capabilities.cancellation) == (
        "opencue",
        True,
        True,
    )


def test_submit_launches_one_job_with_one_layer(
    fake_cuebot: FakeCuebot, cue_settings: Settings
) -> None:
    farm = create(cue_settings)
    job_id = farm.submit(REQUEST)
    entry = fake_cuebot.job(job_id)
    assert entry.job.show == "testing" and entry.job.shot == "sh010_lighting_v003"
    assert entry.job.user == "alice" and entry.job.priority == 60
    assert entry.job.name.startswith("testing-sh010_lighting_v003-alice_blender_")
    assert (entry.layer.name, entry.layer.range, entry.layer.chunk_size) == ("blender", "1-10", 2)
    assert "-s #FRAME_START# -e #FRAME_END#" in entry.layer.command
    # One frame record per chunk, as Cuebot makes them.
    assert [frame.name for frame in entry.frames] == [
        "0001-blender",
        "0003-blender",
        "0005-blender",
        "0007-blender",
        "0009-blender",
    ]
    spec = ElementTree.fromstring(entry.spec)
    # alice is not the login running the tests: no uid is claimed on her behalf.
    assert spec.findtext("user") == "alice" and spec.findtext("uid") is None


def test_status_follows_the_job_through_completion(
    fake_cuebot: FakeCuebot, cue_settings: Settings
) -> None:
    farm = create(cue_settings)
    job_id = farm.submit(REQUEST)
    seen = run_to_end(fake_cuebot, farm, job_id)
    assert seen[0] == "queued" and "running" in seen and seen[-1] == "succeeded"
    final = farm.status(job_id)
    # Cuebot counts 5 chunks of 2; the counters are in frames, like the request.
    assert (final.frames.total, final.frames.succeeded, final.frames.dead) == (10, 10, 0)
    assert final.started_at is not None and final.finished_at is not None
    assert final.started_at.tzinfo is not None


def test_dead_frames_fail_the_job_and_are_named(
    fake_cuebot: FakeCuebot, cue_settings: Settings
) -> None:
    farm = create(cue_settings)
    job_id = farm.submit(REQUEST)
    seen = run_to_end(fake_cuebot, farm, job_id, fail={5})
    state = farm.status(job_id)
    assert seen[-1] == "failed" and state.status is JobStatus.failed
    assert state.frames.dead == 2  # the chunk 5-6 died
    assert state.frames.failed == 1  # one failed attempt
    assert state.frames.succeeded == 8
    assert state.message is not None and "0005-blender (exit 1)" in state.message


def test_cancel_kills_the_job_with_a_reason(
    fake_cuebot: FakeCuebot, cue_settings: Settings
) -> None:
    farm = create(cue_settings)
    job_id = farm.submit(REQUEST)
    fake_cuebot.step(job_id)
    farm.cancel(job_id, "wrong camera")
    entry = fake_cuebot.job(job_id)
    assert entry.kill_reason == "OnePiece: wrong camera"
    assert entry.killed_by
    state = farm.status(job_id)
    assert state.status is JobStatus.cancelled and state.frames.running == 0
    farm.cancel(job_id, "again")  # finished jobs are left alone
    assert fake_cuebot.job(job_id).kill_reason == "OnePiece: wrong camera"


def test_cancel_without_a_reason_still_gives_cuebot_one(
    fake_cuebot: FakeCuebot, cue_settings: Settings
) -> None:
    farm = create(cue_settings)
    job_id = farm.submit(REQUEST)
    farm.cancel(job_id)
    assert fake_cuebot.job(job_id).kill_reason == "cancelled through OnePiece"
    assert farm.status(job_id).status is JobStatus.cancelled


def test_list_returns_the_shows_jobs_only(fake_cuebot: FakeCuebot, cue_settings: Settings) -> None:
    fake_cuebot.state.shows.add("other")
    farm = create(cue_settings)
    mine = {farm.submit(REQUEST), farm.submit(REQUEST)}
    other = OpenCueFarm(cue_settings.opencue.model_copy(update={"default_show": "other"}))
    other.submit(REQUEST)
    assert {state.farm_job_id for state in farm.list()} == mine


def test_unknown_job_id_is_job_not_found(cue_settings: Settings) -> None:
    farm = create(cue_settings)
    with pytest.raises(JobNotFound, match="no OpenCue job 'nope'"):
        farm.status("nope")
    with pytest.raises(JobNotFound):
        farm.cancel("nope")


def test_unknown_show_is_rejected_with_a_clear_message(
    fake_cuebot: FakeCuebot, opencue_settings: MakeSettings
) -> None:
    farm = create(opencue_settings(fake_cuebot.address, OPENCUE_DEFAULT_SHOW="nosuchshow"))
    with pytest.raises(JobRejected, match="show 'nosuchshow' does not exist") as caught:
        farm.submit(REQUEST)
    assert caught.value.hint and "OPENCUE_DEFAULT_SHOW" in caught.value.hint
    assert fake_cuebot.state.jobs == {}


def test_submit_without_a_show_says_which_setting_to_set(
    fake_cuebot: FakeCuebot, opencue_settings: MakeSettings
) -> None:
    farm = create(opencue_settings(fake_cuebot.address))
    with pytest.raises(JobRejected) as caught:
        farm.submit(REQUEST)
    assert caught.value.hint and "OPENCUE_DEFAULT_SHOW" in caught.value.hint


def test_cuebot_refusing_the_spec_is_job_rejected(
    fake_cuebot: FakeCuebot, cue_settings: Settings
) -> None:
    fake_cuebot.state.refuse = "no service named blender"
    with pytest.raises(JobRejected, match="no service named blender"):
        create(cue_settings).submit(REQUEST)


def test_malformed_hosts_fail_when_the_farm_is_built(opencue_settings: MakeSettings) -> None:
    with pytest.raises(ConfigError, match="'cuebot01' has no port"):
        create(opencue_settings("cuebot01"))


def test_unreachable_cuebot_is_adapter_unavailable(opencue_settings: MakeSettings) -> None:
    farm = create(opencue_settings("127.0.0.1:9", OPENCUE_DEFAULT_SHOW="testing"))
    try:
        with pytest.raises(AdapterUnavailable, match="cannot reach Cuebot at 127.0.0.1:9"):
            farm.status("any")
    finally:
        reset_pycue()


def test_cuebot_too_slow_is_adapter_unavailable(
    fake_cuebot: FakeCuebot, opencue_settings: MakeSettings
) -> None:
    farm = create(opencue_settings(fake_cuebot.address, OPENCUE_TIMEOUT_SECONDS="0.3"))
    farm.list()  # connected
    fake_cuebot.hold()
    with pytest.raises(AdapterUnavailable, match="did not answer within 0.3s"):
        farm.list()


def test_stopped_cuebot_mid_run_is_adapter_unavailable(
    fake_cuebot: FakeCuebot, cue_settings: Settings
) -> None:
    farm = create(cue_settings)
    job_id = farm.submit(REQUEST)
    fake_cuebot.stop()
    with pytest.raises(AdapterUnavailable, match="Cuebot at 127.0.0.1"):
        farm.status(job_id)


def test_our_hosts_win_over_cuebot_hosts_in_the_environment(
    fake_cuebot: FakeCuebot, cue_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CUEBOT_HOSTS", "127.0.0.1:9")
    assert os.environ["CUEBOT_HOSTS"] == "127.0.0.1:9"
    farm = create(cue_settings)
    assert farm.status(farm.submit(REQUEST)).status is JobStatus.queued


def test_two_cuebots_in_turn_each_get_their_own_jobs(
    fake_cuebot: FakeCuebot, cue_settings: Settings, opencue_settings: MakeSettings
) -> None:
    second = FakeCuebot().start()
    try:
        first_farm = create(cue_settings)
        second_farm = create(opencue_settings(second.address, OPENCUE_DEFAULT_SHOW="testing"))
        first_id = first_farm.submit(REQUEST)
        second_id = second_farm.submit(REQUEST)
        assert first_id in fake_cuebot.state.jobs and second_id in second.state.jobs
        assert [s.farm_job_id for s in first_farm.list()] == [first_id]
        assert [s.farm_job_id for s in second_farm.list()] == [second_id]
    finally:
        second.stop()


def test_building_the_farm_without_pycue_says_how_to_install_it() -> None:
    """In a Python where ``opencue`` cannot be imported (blocked in a subprocess)."""
    script = textwrap.dedent(
        """
        import sys
        sys.modules["opencue"] = None  # as if opencue-pycue were not installed
        from onepiece.adapters.farms.opencue.farm import create
        from onepiece.config import load_config
        from onepiece.errors import AdapterUnavailable
        try:
            create(load_config(environ={"OPENCUE_HOSTS": "cuebot01:8443"}).settings)
        except AdapterUnavailable as exc:
            print(exc.message, "|", exc.hint)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert "opencue-pycue) is not installed" in result.stdout
    assert "pip install 'onepiece[opencue]'" in result.stdout
