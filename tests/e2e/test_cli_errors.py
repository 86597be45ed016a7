"""Mistakes a new user makes: one line on stderr, a documented exit code, never a traceback."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.e2e.conftest import Run

DELIVERY = Path(__file__).resolve().parents[2] / "docs" / "examples" / "delivery"


def one_error_line(stderr: str) -> str:
    assert "Traceback" not in stderr, stderr
    errors = [line for line in stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, stderr
    return errors[0]


def test_a_non_utf8_onepiece_toml_names_the_file_and_line(onepiece: Run, tmp_path: Path) -> None:
    (tmp_path / "onepiece.toml").write_bytes(b'project = "FG"\n# caf\xe9\n')
    result = onepiece("info", cwd=tmp_path)
    assert result.returncode == 3
    line = one_error_line(result.stderr)
    assert f"{tmp_path / 'onepiece.toml'}:2 is not UTF-8" in line


def test_an_unwritable_report_path_is_one_line_naming_the_path(onepiece: Run) -> None:
    """An unwritable report path is one line naming the file, not our temp file.

    Issue 14.13: it is bad input, checked before anything is uploaded (exit 4, was 1).
    """
    report = "/proc/onepiece-report.csv"  # /proc takes no new files, even as root
    result = onepiece(
        "ingest", str(DELIVERY), "-p", "demo", "-s", "FG", "--report-path", report,
        "--format", "json",
    )  # fmt: skip
    assert result.returncode == 4
    line = one_error_line(result.stderr)
    assert line.startswith(f"error: {report}: ")
    assert ".part" not in line
    assert result.stdout == ""


def test_with_debug_the_traceback_is_shown(onepiece: Run) -> None:
    result = onepiece(
        "--debug", "ingest", str(DELIVERY), "-p", "demo", "-s", "FG",
        "--report-path", "/proc/onepiece-report.csv",
    )  # fmt: skip
    assert result.returncode == 1
    assert "Traceback" in result.stderr


def test_a_yaml_syntax_error_is_one_line_with_its_line_number(
    onepiece: Run, tmp_path: Path
) -> None:
    tree = tmp_path / "tree.yaml"
    tree.write_text("episodes: [ep010\n", encoding="utf-8")
    result = onepiece("shotgrid", "templates", "apply", str(tree), "-p", "OP")
    assert result.returncode == 4
    line = one_error_line(result.stderr)
    assert f"{tree}:2 is not valid YAML: expected ',' or ']'" in line
    assert "^" not in line  # no caret diagram folded into the line


def test_json_errors_leave_stdout_empty(onepiece: Run) -> None:
    """Scripts parsing --format json never get a half-line of text on stdout."""
    result = onepiece("render", "submit", "--dcc", "builtin", "--scene", "s.json",
                      "--frames", "1-x", "--output", "o.####.png", "--format", "json")  # fmt: skip
    assert result.returncode == 4
    assert result.stdout == ""
    assert "invalid frame range '1-x'" in one_error_line(result.stderr)
    info = onepiece("info", "--format", "json")
    assert json.loads(info.stdout)["tracker"]["backend"] == "local"


def _approved_demo(onepiece: Run) -> None:
    assert onepiece("ingest", str(DELIVERY), "-p", "demo", "-s", "FG").returncode == 0
    approve = onepiece("shotgrid", "versions", "set-status", "FG_ep010_sc02_0010_comp_v004",
                       "-p", "demo", "--status", "apr")  # fmt: skip
    assert approve.returncode == 0, approve.stderr


def test_deliver_with_a_bad_bucket_setting_stops_before_writing_the_zip(
    onepiece: Run, tmp_path: Path
) -> None:
    _approved_demo(onepiece)
    output = tmp_path / "FG.zip"
    env = {"ONEPIECE_DELIVERY_CLIENT_OUT_BUCKET": "Client_Out"}
    args = ["shotgrid", "deliver", "-p", "demo", "--context", "client_out", "--output", str(output)]
    for extra in ([], ["--dry-run"]):
        result = onepiece(*args, *extra, env=env)
        assert result.returncode == 3, result.stderr
        line = one_error_line(result.stderr)
        assert "delivery.client_out_bucket 'Client_Out' is not a valid bucket name" in line
        assert not output.exists()
    assert onepiece(*args).returncode == 0  # once fixed, the same command works: no --overwrite


def test_deliver_to_unreachable_s3_stops_before_writing_the_zip(
    onepiece: Run, tmp_path: Path
) -> None:
    _approved_demo(onepiece)
    output = tmp_path / "FG.zip"
    env = {
        "ONEPIECE_STORAGE_BACKEND": "s3",
        "ONEPIECE_STORAGE_ENDPOINT_URL": "http://127.0.0.1:9",
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
    }
    result = onepiece("shotgrid", "deliver", "-p", "demo", "--context", "client_out",
                      "--output", str(output), env=env)  # fmt: skip
    assert result.returncode == 7
    assert "cannot reach S3 endpoint http://127.0.0.1:9" in one_error_line(result.stderr)
    assert not output.exists()


def test_publish_with_a_bad_bucket_leaves_no_package_behind(onepiece: Run, tmp_path: Path) -> None:
    dcc = DELIVERY.parent / "dcc"
    args = [
        "dcc", "publish", "--dcc", "maya", "--scene-name", "seq010_sh010_lighting_v002",
        "--renders", str(dcc / "renders"),
        "--previews", str(dcc / "seq010_sh010_lighting_v002.mov"),
        "--otio", str(dcc / "seq010_sh010_lighting_v002.otio"),
        "--metadata", str(dcc / "metadata.json"),
        "--destination", str(tmp_path / "publish"), "--show-code", "FG", "--show-type", "vfx",
    ]  # fmt: skip
    for extra in (["--dry-run"], []):
        bad = onepiece(*args, "--bucket", "FG_Publish", *extra)
        assert bad.returncode == 4, bad.stderr
        assert "invalid bucket name 'FG_Publish'" in one_error_line(bad.stderr)
        assert not (tmp_path / "publish" / "seq010_sh010_lighting_v002").exists()
    good = onepiece(*args, "--bucket", "fg-publish")  # the same version, not blocked
    assert good.returncode == 0, good.stderr


def test_an_unknown_project_names_the_projects_that_exist(onepiece: Run) -> None:
    """A wrong case or a typo in -p shows at once: the error lists the real codes."""
    assert onepiece("ingest", str(DELIVERY), "-p", "demo", "-s", "FG").returncode == 0
    for args in (["shotgrid", "versions", "list"], ["validate", "reconcile"]):
        result = onepiece(*args, "-p", "Demo")
        assert result.returncode == 6
        line = one_error_line(result.stderr)
        assert line.startswith("error: project Demo does not exist in the local tracker")
        assert "existing projects: demo;" in line


def test_an_unreachable_cuebot_is_reported_once_without_pycue_chatter(onepiece: Run) -> None:
    env = {"OPENCUE_HOSTS": "127.0.0.1:9", "OPENCUE_TIMEOUT_SECONDS": "1"}
    result = onepiece("opencue", "status", env=env)
    assert result.returncode == 8
    assert "Cuebot at 127.0.0.1:9" in result.stdout
    assert "opencue" not in result.stderr.lower(), result.stderr  # pycue's own warnings
    debug = onepiece("--debug", "opencue", "status", env=env)
    assert "Could not establish grpc channel" in debug.stderr  # still there when asked for


def test_an_unknown_job_id_says_where_the_ids_are(onepiece: Run) -> None:
    result = onepiece("render", "status", "nope")
    assert result.returncode == 4  # issue 14.13: an unknown id is bad input, not a farm failure
    assert one_error_line(result.stderr) == (
        "error: no render job 'nope' "
        "(hint: list the job ids with `onepiece render list` or GET /jobs)"
    )


def test_a_closed_pipe_on_stdout_ends_quietly(isolated_env: Path) -> None:
    """`onepiece profile | head -1`: no error line about the pipe head closed."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first line is written
    try:
        result = subprocess.run(
            [sys.executable, "-m", "onepiece", "profile", "--show-sources"],
            stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=60, check=False,
        )  # fmt: skip
    finally:
        os.close(write_end)
    assert result.stderr == ""
    assert result.returncode == 1  # Click's own answer to a broken pipe


def test_a_bad_upstream_manifest_is_named_in_the_error(onepiece: Run, tmp_path: Path) -> None:
    """`--manifest` repeats on reconcile: the line says which file is wrong, and how."""
    assert onepiece("ingest", str(DELIVERY), "-p", "demo", "-s", "FG").returncode == 0
    broken = tmp_path / "vendor.json"
    broken.write_text("{oops", encoding="utf-8")
    latin = tmp_path / "vendor.csv"
    latin.write_bytes("delivery_path\ncaf\xe9.mov\n".encode("latin-1"))
    good = DELIVERY.parent / "ingest_manifest.csv"
    result = onepiece("validate", "reconcile", "-p", "demo",
                      "--manifest", str(good), "--manifest", str(broken))  # fmt: skip
    assert result.returncode == 4
    assert one_error_line(result.stderr).startswith(
        f"error: {broken}: upstream manifest is not valid JSON"
    )
    result = onepiece("validate", "reconcile", "-p", "demo", "--manifest", str(latin))
    assert result.returncode == 4
    assert one_error_line(result.stderr) == (
        f"error: upstream manifest {latin} is not UTF-8 text (hint: save it as UTF-8)"
    )


def test_ctrl_c_while_waiting_stops_following_and_says_the_job_runs_on(onepiece: Run) -> None:
    scene = DELIVERY.parent / "render" / "slow.json"
    process = subprocess.Popen(
        [sys.executable, "-m", "onepiece", "render", "submit", "--dcc", "builtin",
         "--scene", str(scene), "--frames", "1-50", "--output", "slow/s.####.png", "--wait"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stdout is not None and process.stderr is not None
    job_id = process.stdout.readline().split()[2]  # "submitted job ID to local (...)"
    try:
        for line in process.stderr:  # the first progress line: it is following the job now
            if line.startswith(f"job {job_id}: "):
                break
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
        assert process.returncode == 130
        assert one_error_line(stderr) == (
            f"error: stopped following job {job_id}; it keeps running on local "
            f"(hint: `onepiece render cancel {job_id}` stops it)"
        )
        status = onepiece("render", "status", job_id, "--format", "json")
        assert json.loads(status.stdout)["status"] in ("queued", "running")
    finally:
        if process.poll() is None:
            process.kill()
        onepiece("render", "cancel", job_id)  # no renderer outlives the test


def test_a_mistyped_command_group_gets_a_suggestion(onepiece: Run) -> None:
    """Groups load lazily; the typo hint still knows them."""
    result = onepiece("shotgrd", "versions", "list")
    assert result.returncode == 2
    assert "No such command 'shotgrd'. Did you mean 'shotgrid'?" in result.stderr


def test_sync_to_an_unreachable_endpoint_fails_fast_with_one_line(
    onepiece: Run, tmp_path: Path
) -> None:
    (tmp_path / "shots" / "sh010").mkdir(parents=True)
    (tmp_path / "shots" / "sh010" / "a.txt").write_text("x", encoding="utf-8")
    env = {"ONEPIECE_STORAGE_ENDPOINT_URL": "http://127.0.0.1:9"}
    result = onepiece(
        "aws", "sync-to", "--bucket", "studio-bucket", "--show-code", "FG",
        "--folder", "shots", "--local-path", str(tmp_path), env=env, timeout=60,
    )  # fmt: skip
    assert result.returncode == 7
    assert "cannot reach S3 endpoint http://127.0.0.1:9" in result.stderr
    assert "Traceback" not in result.stderr
