"""The same options mean the same thing on every command: --project/-p, --format text|json."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from onepiece.config import Settings
from onepiece.web.app import create_app
from tests.e2e.conftest import Run
from tests.web_server import serve_app

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"


@pytest.fixture
def workspace(onepiece: Run, tmp_path: Path) -> Path:
    """A folder whose onepiece.toml names the project, with the sample delivery ingested."""
    ingest = onepiece("ingest", str(EXAMPLES / "delivery"), "-p", "demo", "-s", "FG")
    assert ingest.returncode == 0, ingest.stderr
    (tmp_path / "onepiece.toml").write_text('project = "demo"\n', encoding="utf-8")
    return tmp_path


def test_project_comes_from_onepiece_toml_when_no_flag_is_given(
    onepiece: Run, workspace: Path
) -> None:
    listed = onepiece("shotgrid", "versions", "list", "--format", "json", cwd=workspace)
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout)["project"] == "demo"
    code = json.loads(listed.stdout)["versions"][0]["code"]
    commands = [
        ["shotgrid", "versions", "set-status", code, "--status", "apr"],
        ["shotgrid", "playlists", "create", "dailies", "--version", code],
        ["shotgrid", "playlists", "add", "dailies", code],
        ["shotgrid", "playlists", "list"],
        ["shotgrid", "deliver", "--context", "client_out", "--output", "out.zip", "--dry-run"],
        ["shotgrid", "package-playlist", "--playlist", "dailies", "--destination", "pkg"],
        ["validate", "reconcile"],
    ]
    for args in commands:
        result = onepiece(*args, "--format", "json", cwd=workspace)
        assert result.returncode == 0, (args, result.stderr)
        data = json.loads(result.stdout)
        assert data.get("project", data.get("delivery", {}).get("project")) == "demo", args


def test_a_project_flag_wins_and_no_project_at_all_is_one_clear_line(
    onepiece: Run, workspace: Path
) -> None:
    other = onepiece("shotgrid", "versions", "list", "-p", "nope", cwd=workspace)
    assert other.returncode == 6
    assert "project nope does not exist" in other.stderr
    missing = onepiece("validate", "reconcile")  # the scratch folder: no onepiece.toml
    assert missing.returncode == 4
    assert missing.stderr.strip() == (
        "error: no project given (hint: pass --project CODE or set project in onepiece.toml)"
    )


@pytest.mark.parametrize(
    "args",
    [
        ["shotgrid", "versions", "list"],
        ["shotgrid", "playlists", "list"],
        ["validate", "reconcile"],
    ],
)
def test_listings_accept_format_text_like_every_other_command(
    onepiece: Run, workspace: Path, args: list[str]
) -> None:
    text = onepiece(*args, "--format", "text", cwd=workspace)
    table = onepiece(*args, "--format", "table", cwd=workspace)
    assert text.returncode == 0, text.stderr
    assert text.stdout == table.stdout
    assert "--format" in onepiece(*args, "--help").stdout
    assert "text" in onepiece(*args, "--help").stdout


def test_set_status_refuses_a_status_no_bucket_knows_as_show_setup_does(
    onepiece: Run, workspace: Path
) -> None:
    listed = onepiece("shotgrid", "versions", "list", "--format", "json", cwd=workspace)
    code = json.loads(listed.stdout)["versions"][0]["code"]
    typo = onepiece(
        "shotgrid", "versions", "set-status", code, "--status", "aproved", cwd=workspace
    )
    assert typo.returncode == 4
    assert typo.stderr.startswith("error: unknown status 'aproved' (hint: use a code such as")
    after = onepiece("shotgrid", "versions", "list", "--format", "json", cwd=workspace)
    assert after.stdout == listed.stdout  # nothing changed
    toml = workspace / "onepiece.toml"
    toml.write_text(toml.read_text() + '[status_map]\ncbb = "review"\n', encoding="utf-8")
    own = onepiece("shotgrid", "versions", "set-status", code, "--status", "cbb", cwd=workspace)
    assert own.returncode == 0, own.stderr
    assert own.stdout.strip() == f"set {code} -> cbb (review)"


def test_relative_render_paths_mean_the_same_through_a_server(tmp_path: Path) -> None:
    """The server runs elsewhere (another cwd): the CLI sends what the user meant."""
    shot = tmp_path / "shot"
    shot.mkdir()
    (shot / "sh010.json").write_text(json.dumps({"width": 8, "height": 4}), encoding="utf-8")
    token = "consistency-admin-4e1f0a"
    settings = Settings(
        data_dir=tmp_path / "server-data",
        trafalgar={"dashboard_token": token},
        render={"poll_seconds": 0.05},
    )
    with serve_app(create_app(settings)) as server:  # its cwd is the test's scratch folder
        result = subprocess.run(
            [sys.executable, "-m", "onepiece", "render", "submit", "--server", server.url,
             "--dcc", "builtin", "--scene", "sh010.json", "--frames", "1-2",
             "--output", "out/b.####.png", "--wait", "--format", "json"],
            capture_output=True, text=True, cwd=shot, timeout=120, check=False,
            env={**os.environ, "TRAFALGAR_DASHBOARD_TOKEN": token},
        )  # fmt: skip
    assert result.returncode == 0, result.stderr
    job = json.loads(result.stdout)
    assert job["scene"] == str(shot / "sh010.json")
    assert sorted(p.name for p in (shot / "out").iterdir()) == ["b.0001.png", "b.0002.png"]


def test_playlist_writes_have_a_dry_run_that_changes_nothing(
    onepiece: Run, workspace: Path
) -> None:
    listed = onepiece("shotgrid", "versions", "list", "--format", "json", cwd=workspace)
    first, second = (v["code"] for v in json.loads(listed.stdout)["versions"][:2])
    plan = onepiece("shotgrid", "playlists", "create", "dailies", "--version", first,
                    "--dry-run", "--format", "json", cwd=workspace)  # fmt: skip
    assert plan.returncode == 0, plan.stderr
    assert json.loads(plan.stdout)["created"] is True
    none = onepiece("shotgrid", "playlists", "list", "--format", "json", cwd=workspace)
    assert json.loads(none.stdout)["playlists"] == []
    assert onepiece("shotgrid", "playlists", "create", "dailies", "--version", first,
                    cwd=workspace).returncode == 0  # fmt: skip
    add = onepiece("shotgrid", "playlists", "add", "dailies", second, "--dry-run", cwd=workspace)
    assert add.stdout.strip() == "playlist dailies: would hold 2 versions"
    after = onepiece("shotgrid", "playlists", "list", "--format", "json", cwd=workspace)
    assert json.loads(after.stdout)["playlists"][0]["versions"] == [first]
    typo = onepiece("shotgrid", "playlists", "add", "dailies", "NOPE_v001", "--dry-run",
                    cwd=workspace)  # fmt: skip
    assert typo.returncode == 6 and "no version NOPE_v001" in typo.stderr


def test_dcc_publish_takes_the_show_code_like_ingest(onepiece: Run, tmp_path: Path) -> None:
    """-s works, and onepiece.toml's show_code fills it when no flag is given."""
    dcc = EXAMPLES / "dcc"
    args = [
        "dcc", "publish", "--dcc", "maya", "--scene-name", "seq010_sh010_lighting_v002",
        "--renders", str(dcc / "renders"),
        "--previews", str(dcc / "seq010_sh010_lighting_v002.mov"),
        "--otio", str(dcc / "seq010_sh010_lighting_v002.otio"),
        "--metadata", str(dcc / "metadata.json"), "--destination", str(tmp_path / "publish"),
        "--bucket", "fg-publish", "--show-type", "vfx", "--dry-run", "--format", "json",
    ]  # fmt: skip
    short = onepiece(*args, "-s", "FG")
    assert short.returncode == 0, short.stderr
    missing = onepiece(*args)
    assert missing.returncode == 4
    assert "no show code given" in missing.stderr
    (tmp_path / "onepiece.toml").write_text('show_code = "FG"\n', encoding="utf-8")
    configured = onepiece(*args, cwd=tmp_path)
    assert configured.returncode == 0, configured.stderr
    assert json.loads(configured.stdout) == json.loads(short.stdout)
