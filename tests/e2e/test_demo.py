"""`make demo` / `onepiece demo --no-serve`: the whole story runs, each step has its effect."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import av
import pytest


def run_demo(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    home = tmp_path / "user-home"  # the user's own HOME: the demo must leave it alone
    home.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ONEPIECE_", "XDG_", "CI"))}
    env.update(HOME=str(home), TRAFALGAR_DASHBOARD_TOKEN="not-the-demo-token-3f9a1c")
    return subprocess.run(
        [sys.executable, "-m", "onepiece", "demo", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=env,
    )


def workspace_query(workspace: Path, *args: str) -> dict[str, object]:
    """Ask the demo workspace's tracker, as a user exploring it afterwards would."""
    home = workspace / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ONEPIECE_", "XDG_"))}
    env.update(HOME=str(home), XDG_DATA_HOME=str(home / ".local/share"))
    result = subprocess.run(
        [sys.executable, "-m", "onepiece", *args, "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd=workspace,
    )
    answer: dict[str, object] = json.loads(result.stdout)
    return answer


def test_demo_runs_every_step_and_the_pages_answer_with_its_data(tmp_path: Path) -> None:
    workspace = tmp_path / "demo"
    result = run_demo(tmp_path, str(workspace), "--no-serve")
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert "demo OK" in out
    assert not any((tmp_path / "user-home").iterdir()), "the demo wrote into the user's HOME"
    for number in range(1, 6):
        assert f"=== {number}. " in out
    # 1. ingest: the deliberate checksum error caught (exit 5), then the resume.
    assert out.count("$ onepiece ingest delivery -p demo -s FG") == 2
    assert "[1/12]" in out  # progress, file by file
    assert "3 registered" in out
    assert "frames 1005-1007 missing" in out
    assert "1 checksum mismatch(es)" in out
    assert "1 uploaded, 11 skipped" in out
    versions = workspace_query(workspace, "shotgrid", "versions", "list", "-p", "demo")
    assert isinstance(versions["versions"], list)
    statuses = {v["code"]: v["status"] for v in versions["versions"]}
    assert len(statuses) == 4
    storage = workspace / "home" / ".local" / "share" / "onepiece" / "storage" / "vendor-in"
    stored = sorted(path.name for path in storage.rglob("*.mov"))
    assert stored == [f"FG_ep010_sc02_00{n}0_comp_v00{n}.mov" for n in (1, 2, 3)]
    assert len(list(storage.rglob("*.exr"))) == 9
    # 2. review: two approved, a playlist of two.
    assert "$ onepiece shotgrid versions set-status" in out
    assert statuses["FG_ep010_sc02_0020_comp_v002"] == "apr"
    assert statuses["FG_ep010_sc02_0100_plate_v001"] == "apr"
    playlist = workspace_query(workspace, "shotgrid", "playlists", "show", "dailies", "-p", "demo")
    assert len(playlist["versions"]) == 2  # type: ignore[arg-type]
    # 3. deliveries: a verified ZIP with its manifests, and the playlist package.
    with zipfile.ZipFile(workspace / "out" / "FG_client.zip") as archive:
        assert archive.testzip() is None
        names = archive.namelist()
    assert any(name.endswith("FG_ep010_sc02_0020_comp_v002.mov") for name in names)
    assert sum(name.endswith(".exr") for name in names) == 9
    assert (workspace / "out" / "FG_client.csv").is_file()
    package = workspace / "outbox" / "demo_dailies_client"
    assert (package / "manifest.json").is_file()
    assert len(list(package.rglob("*.mov"))) == 2
    # 4. render: real frames from real renderer processes, in the history.
    assert len(list((workspace / "renders" / "sh010").glob("beauty.*.png"))) == 24
    jobs = workspace_query(workspace, "render", "list")
    assert [job["status"] for job in jobs["jobs"]] == ["succeeded"]  # type: ignore[index]
    # 5. Trafalgar: both pages and /metrics answered with the demo's data.
    assert "onepiece serve --port 0" in out
    assert "checked: / shows 4 Versions of project demo" in out
    assert "/metrics (with the token) counts 4 Versions" in out
    assert "not-the-demo-token-3f9a1c" not in out
    assert "Open the Workload page:   http://127.0.0.1:" in out
    assert "Trafalgar stopped" in out
    # The media are real: H.264 (or MPEG-4) clips and OpenEXR frames written by PyAV.
    delivery = workspace / "delivery"
    clips = sorted(delivery.glob("*.mov"))
    assert len(clips) == 3
    with av.open(str(clips[0])) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name in ("h264", "mpeg4")
        assert sum(1 for _ in container.decode(stream)) == 48  # 2 s at 24 fps
    with av.open(str(next(delivery.glob("plates/*.1001.exr")))) as image:
        assert next(image.decode(video=0)).width == 64


def test_demo_refuses_a_workspace_that_is_not_empty(tmp_path: Path) -> None:
    workspace = tmp_path / "used"
    workspace.mkdir()
    (workspace / "keep.txt").write_text("mine\n")
    result = run_demo(tmp_path, str(workspace), "--no-serve")
    assert result.returncode == 1
    assert "is not empty" in result.stderr
    assert (workspace / "keep.txt").read_text() == "mine\n"


def test_a_step_whose_command_fails_or_says_otherwise_stops_the_demo(tmp_path: Path) -> None:
    from onepiece.cli import exit_codes
    from onepiece.demo.runner import StepFailed, Workspace, onepiece

    workspace = Workspace.create(tmp_path / "ws")
    # An unknown project: the tracker refuses (exit 6) where the step expects 0.
    with pytest.raises(StepFailed, match=rf"^step 2 \(review\): .* exited {exit_codes.TRACKER},"):
        onepiece(workspace, "step 2 (review)", "shotgrid", "versions", "list", "-p", "nope")
    with pytest.raises(StepFailed, match=r"step 4 \(render\): .* did not print 'succeeded'"):
        onepiece(workspace, "step 4 (render)", "render", "list", shows=("succeeded",))
