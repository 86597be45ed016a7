"""``onepiece render`` end to end: real processes, real frames, a real server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from onepiece.config import Settings
from onepiece.web.app import create_app
from tests.web_server import serve_app

TOKEN = "cli-admin-0b7c1e"


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "onepiece", "render", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=120,
    )


@pytest.fixture
def scene(tmp_path: Path) -> Path:
    path = tmp_path / "shot010.json"
    path.write_text(json.dumps({"width": 16, "height": 8}))
    return path


def test_submit_wait_renders_frames_and_list_status_show_the_job(
    tmp_path: Path, scene: Path
) -> None:
    out = tmp_path / "renders" / "beauty.####.png"
    result = _cli(
        "submit", "--dcc", "builtin", "--scene", str(scene), "--frames", "1-6,10",
        "--output", str(out), "--chunk-size", "3", "--wait", "--format", "json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    job = json.loads(result.stdout)  # pure JSON on stdout
    assert job["status"] == "succeeded" and job["frame_counts"]["succeeded"] == 7
    assert len(list(out.parent.glob("beauty.*.png"))) == 7
    listed = json.loads(_cli("list", "--format", "json").stdout)["jobs"]
    assert [j["id"] for j in listed] == [job["id"]]
    status = _cli("status", job["id"])
    assert status.returncode == 0 and "succeeded" in status.stdout


def test_dry_run_shows_the_commands_and_submits_nothing(tmp_path: Path, scene: Path) -> None:
    result = _cli(
        "submit", "--dcc", "builtin", "--scene", str(scene), "--frames", "1-10x2",
        "--output", str(tmp_path / "o.####.png"), "--dry-run",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "5 frames in 1 chunks" in result.stdout and "-j 2" in result.stdout
    assert json.loads(_cli("list", "--format", "json").stdout)["jobs"] == []


def test_cancel_from_another_cli_process_kills_the_render(tmp_path: Path) -> None:
    slow = tmp_path / "slow.json"
    slow.write_text(json.dumps({"delay": 5}))
    submitted = _cli(
        "submit", "--dcc", "builtin", "--scene", str(slow), "--frames", "1-20",
        "--output", str(tmp_path / "o.####.png"), "--format", "json",
    )  # fmt: skip
    job_id = json.loads(submitted.stdout)["id"]
    cancelled = _cli("cancel", job_id, "--reason", "wrong shot", "--format", "json")
    assert cancelled.returncode == 0, cancelled.stderr
    assert json.loads(cancelled.stdout)["status"] == "cancelled"
    waited = _cli("status", job_id, "--wait")
    assert waited.returncode == 8  # documented: a waited job that did not succeed


def test_user_mistakes_are_one_line_errors_with_documented_exit_codes(scene: Path) -> None:
    bad_frames = _cli(
        "submit", "--dcc", "builtin", "--scene", str(scene), "--frames", "ten", "--output", "o"
    )
    assert bad_frames.returncode == 4
    assert bad_frames.stderr.startswith("error: invalid frame range 'ten'")
    assert "Traceback" not in bad_frames.stderr
    unknown = _cli("status", "nope")
    assert unknown.returncode == 4 and "no render job 'nope'" in unknown.stderr  # issue 14.13
    no_farm = _cli(
        "submit", "--dcc", "builtin", "--scene", str(scene), "--frames", "1", "--output", "o",
        "--farm", "mock",
    )  # fmt: skip
    assert no_farm.returncode == 8 and "mock_enabled" in no_farm.stderr


def test_unknown_job_farm_and_missing_scene_are_user_input_exit_4(
    tmp_path: Path, scene: Path
) -> None:
    """Issue 14.13: an id, farm or scene that does not exist is bad input, not a farm failure."""
    out = str(tmp_path / "o.####.png")
    cases = {
        "no render job 'NOSUCHJOB'": ("status", "NOSUCHJOB"),
        "no render job 'ALSO-NOT'": ("cancel", "ALSO-NOT"),
        "scene not found": (
            "submit", "--dcc", "builtin", "--scene", str(tmp_path / "nope.json"),
            "--frames", "1-2", "--output", out,
        ),
        "scene not found: ": (
            "submit", "--dcc", "builtin", "--scene", "/nope.json", "--frames", "1-2",
            "--output", out, "--dry-run",
        ),
        "no farm named 'farmy'": ("list", "--farm", "farmy"),
        "no farm named 'farmz'": (
            "submit", "--dcc", "builtin", "--scene", str(scene), "--frames", "1",
            "--output", out, "--farm", "farmz",
        ),
    }  # fmt: skip
    for expected, args in cases.items():
        result = _cli(*args)
        assert result.returncode == 4, (args, result.stderr)
        assert expected in result.stderr and result.stderr.count("\n") == 1, result.stderr
    assert not list(tmp_path.glob("o.*"))
    assert json.loads(_cli("list", "--format", "json").stdout)["jobs"] == []


def test_server_mode_goes_through_the_api_and_never_prints_the_token(
    tmp_path: Path, scene: Path
) -> None:
    settings = Settings(
        data_dir=tmp_path / "server-data",
        trafalgar={"dashboard_token": TOKEN},
        render={"poll_seconds": 0.05},
    )
    env = {"TRAFALGAR_DASHBOARD_TOKEN": TOKEN}
    with serve_app(create_app(settings)) as server:
        submitted = _cli(
            "submit", "--server", server.url, "--dcc", "builtin", "--scene", str(scene),
            "--frames", "1-3", "--output", str(tmp_path / "o.####.png"), "--wait",
            env=env,
        )  # fmt: skip
        assert submitted.returncode == 0, submitted.stderr
        farms = _cli("farms", "--server", server.url, "--format", "json", env=env)
        listed = _cli("list", "--server", server.url, "--format", "json", env=env)
        denied = _cli(
            "cancel", "x", "--server", server.url, env={"TRAFALGAR_DASHBOARD_TOKEN": "wrong-one"}
        )
    assert "succeeded" in submitted.stdout
    assert json.loads(farms.stdout)["farms"][0]["name"] == "local"
    assert len(json.loads(listed.stdout)["jobs"]) == 1
    assert denied.returncode == 3 and "invalid bearer token" in denied.stderr
    for result in (submitted, farms, listed, denied):
        assert TOKEN not in result.stdout + result.stderr
        assert "wrong-one" not in result.stdout + result.stderr
    # The server kept the history in its own data dir; the CLI wrote nothing locally.
    assert json.loads(_cli("list", "--format", "json").stdout)["jobs"] == []


def test_server_unreachable_is_a_clear_error(scene: Path) -> None:
    result = _cli("list", "--server", "http://127.0.0.1:9")
    assert result.returncode == 8 and "cannot reach Trafalgar" in result.stderr


def test_farms_lists_only_the_dccs_installed_here(tmp_path: Path) -> None:
    """Issue 14.18: `render farms` marks DCCs whose renderer is not on this machine."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    blender = bin_dir / "blender"
    blender.write_text("#!/bin/sh\nexit 0\n")
    blender.chmod(0o755)
    env = {"PATH": str(bin_dir)}
    data = json.loads(_cli("farms", "--format", "json", env=env).stdout)
    local = next(f for f in data["farms"] if f["name"] == "local")
    assert local["dccs"] == ["blender", "builtin"]
    assert {"maya", "houdini", "nuke", "katana"} <= set(local["missing_dccs"])
    text = _cli("farms", env=env).stdout
    assert "DCCs: blender, builtin (not installed: houdini, katana, maya, nuke)" in text
