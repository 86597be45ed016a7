"""Names that become folders or keys are checked where they enter (issue 14, item 11).

A project, show, episode or playlist with a path separator, '..', a control
character, a leading '.' or nothing in it is refused in one line (exit 4)
before anything is written: `ingest -p ../../x` used to store and register
under another project's prefix.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import Run
from tests.e2e.test_cli_errors import DELIVERY, _approved_demo, one_error_line
from tests.ingest_support import data_dir

UNSAFE = ["../../x", "a/b", "..", ".hidden", "x\\y", "ep\x01010", "FG\x7f", " ", "ok/../../up"]


def _assert_refused(result: object, what: str) -> str:
    assert getattr(result, "returncode", None) == 4, getattr(result, "stderr", "")
    line = one_error_line(result.stderr)  # type: ignore[attr-defined]
    assert f"{what} " in line and "is not a valid name" in line, line
    return line


@pytest.mark.parametrize("project", UNSAFE)
def test_ingest_refuses_an_unsafe_project_before_storing(
    onepiece: Run, isolated_env: Path, project: str
) -> None:
    result = onepiece("ingest", str(DELIVERY), "-p", project, "-s", "FG")
    _assert_refused(result, "project")
    assert not data_dir(isolated_env).exists()


@pytest.mark.parametrize("show", ["../FG", "F/G", ".FG", "FG\x1b[0m"])
def test_ingest_refuses_an_unsafe_show_code(onepiece: Run, isolated_env: Path, show: str) -> None:
    result = onepiece("ingest", str(DELIVERY), "-p", "demo", "-s", show)
    _assert_refused(result, "show code")
    assert not data_dir(isolated_env).exists()


def test_an_unsafe_project_from_onepiece_toml_is_refused(
    onepiece: Run, isolated_env: Path, tmp_path: Path
) -> None:
    (tmp_path / "onepiece.toml").write_text('project = "../other"\nshow_code = "FG"\n')
    result = onepiece("ingest", str(DELIVERY), cwd=tmp_path)
    _assert_refused(result, "project")
    assert not data_dir(isolated_env).exists()


@pytest.mark.parametrize("project", ["../demo2", "demo/../../x", ".demo"])
def test_deliver_refuses_an_unsafe_project_before_writing(
    onepiece: Run, tmp_path: Path, project: str
) -> None:
    _approved_demo(onepiece)
    output = tmp_path / "out.zip"
    result = onepiece(
        "shotgrid", "deliver", "-p", project, "--context", "client_out", "--output", str(output)
    )
    _assert_refused(result, "project")
    assert not output.exists()


@pytest.mark.parametrize("episode", ["../ep010", "ep\x02", ".."])
def test_deliver_refuses_an_unsafe_episode(onepiece: Run, tmp_path: Path, episode: str) -> None:
    _approved_demo(onepiece)
    output = tmp_path / "out.zip"
    result = onepiece(
        "shotgrid", "deliver", "-p", "demo", "--context", "client_out",
        "--output", str(output), "--episodes", episode,
    )  # fmt: skip
    _assert_refused(result, "episode")
    assert not output.exists()


@pytest.mark.parametrize("playlist", ["../dailies", "a\\b", ".dailies"])
def test_playlists_refuse_unsafe_names(onepiece: Run, tmp_path: Path, playlist: str) -> None:
    _approved_demo(onepiece)
    created = onepiece("shotgrid", "playlists", "create", playlist, "-p", "demo")
    _assert_refused(created, "playlist")
    packaged = onepiece(
        "shotgrid", "package-playlist", "-p", "demo", "--playlist", playlist,
        "--destination", str(tmp_path / "pkg"),
    )  # fmt: skip
    _assert_refused(packaged, "playlist")
    assert not (tmp_path / "pkg").exists()


@pytest.mark.parametrize("project", ["../OP", "O/P", "..", ".OP"])
def test_show_setup_and_tree_replay_refuse_an_unsafe_project(
    onepiece: Run, tmp_path: Path, project: str
) -> None:
    shots = tmp_path / "shots.csv"
    shots.write_text("episode,sequence,shot\nep010,sc01,0010\n", encoding="utf-8")
    _assert_refused(onepiece("shotgrid", "show-setup", str(shots), "-p", project), "project")
    tree = tmp_path / "tree.json"
    tree.write_text('{"shots": [{"code": "0010", "sequence": "sc01"}]}', encoding="utf-8")
    result = onepiece("shotgrid", "templates", "apply", str(tree), "-p", project)
    _assert_refused(result, "project")


@pytest.mark.parametrize(
    ("cells", "words"),
    [("ep010,sc..01,0010", "sequence 'sc..01'"), ("ep..,sc01,0010", "episode 'ep..'")],
)
def test_show_setup_csv_refuses_dotted_codes(
    onepiece: Run, tmp_path: Path, cells: str, words: str
) -> None:
    shots = tmp_path / "shots.csv"
    shots.write_text(f"episode,sequence,shot\n{cells}\n", encoding="utf-8")
    result = onepiece("shotgrid", "show-setup", str(shots), "-p", "OP")
    assert result.returncode == 4
    assert words in result.stdout + result.stderr


@pytest.mark.parametrize("asset", ['"chair\\n"', '"../chair"', '".chair"'])
def test_a_template_with_an_unsafe_asset_is_refused(
    onepiece: Run, tmp_path: Path, asset: str
) -> None:
    shots = tmp_path / "shots.csv"
    shots.write_text("episode,sequence,shot\nep010,sc01,0010\n", encoding="utf-8")
    template = tmp_path / "t.yaml"
    template.write_text(f"assets: [{asset}]\n", encoding="utf-8")
    result = onepiece("shotgrid", "show-setup", str(shots), "-p", "OP", "-t", str(template))
    assert result.returncode == 4
    assert "invalid code" in one_error_line(result.stderr)


@pytest.mark.parametrize("direction", ["sync-to", "sync-from"])
@pytest.mark.parametrize("show", ["../FG", ".FG", "F\\G"])
def test_aws_sync_refuses_an_unsafe_show_code(
    onepiece: Run, tmp_path: Path, direction: str, show: str
) -> None:
    (tmp_path / "plates").mkdir()
    result = onepiece(
        "aws", direction, "-b", "vendor-in", "-s", show, "-f", "plates",
        "--local-path", str(tmp_path), "--dry-run",
    )  # fmt: skip
    _assert_refused(result, "show code")
