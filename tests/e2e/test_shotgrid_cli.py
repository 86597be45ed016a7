"""``onepiece shotgrid`` end to end on a ShotGrid site served on 127.0.0.1.

The CLI builds a real ``shotgun_api3.Shotgun`` from ONEPIECE_SHOTGRID_* and
talks JSON-RPC over a socket to a mockgun-backed site (tests/shotgrid_wire.py).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from onepiece.cli.app import app
from tests.shotgrid_schema import mockgun_site
from tests.shotgrid_wire import Fault, ShotGridWire

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "docs" / "examples"
SRC = ROOT / "src"
SCRIPT, KEY = "onepiece-cli", "cli-test-key-1234"


@pytest.fixture
def site(tmp_path: Path) -> Any:
    return mockgun_site(tmp_path / "schema")


@pytest.fixture
def wire(site: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[ShotGridWire]:
    with ShotGridWire(site, SCRIPT, KEY) as server:
        monkeypatch.setenv("ONEPIECE_SHOTGRID_URL", server.url)
        monkeypatch.setenv("ONEPIECE_SHOTGRID_SCRIPT", SCRIPT)
        monkeypatch.setenv("ONEPIECE_SHOTGRID_KEY", KEY)
        yield server


def run(*args: str) -> Any:
    return CliRunner().invoke(app, ["shotgrid", *args])


def codes(site: Any, entity: str) -> list[str]:
    return sorted(row["code"] for row in site.find(entity, [], ["code"]))


def test_show_setup_creates_the_example_show_then_nothing(wire: ShotGridWire, site: Any) -> None:
    first = run("show-setup", str(EXAMPLES / "show_setup.csv"), "--project", "OP")
    assert first.exit_code == 0, first.output
    assert "created: 2 episodes, 3 sequences, 7 shots, 3 assets" in first.stdout
    assert "[1/7] shot ep010_sc01_0010: created" in first.stderr
    assert len(codes(site, "Shot")) == 7
    second = run("show-setup", str(EXAMPLES / "show_setup.csv"), "--project", "OP")
    assert second.exit_code == 0, second.output
    assert "created: 0 episodes, 0 sequences, 0 shots, 0 assets" in second.stdout
    assert "existing: 2 episodes, 3 sequences, 7 shots, 3 assets" in second.stdout
    assert len(codes(site, "Shot")) == 7


def test_json_output_is_pure_json_with_the_summary(wire: ShotGridWire) -> None:
    result = run("show-setup", str(EXAMPLES / "show_setup.csv"), "-p", "OP", "--format", "json")
    data = json.loads(result.stdout)
    assert data["created"] == {"Episode": 2, "Sequence": 3, "Shot": 7, "Asset": 3}
    assert (data["tracker"], data["project_created"], data["failed"]) == ("shotgrid", True, [])


def test_an_invalid_csv_lists_every_bad_row_and_creates_nothing(
    wire: ShotGridWire, site: Any
) -> None:
    result = run("show-setup", str(EXAMPLES / "show_setup_bad.csv"), "--project", "OP")
    assert result.exit_code == 4
    lines = result.stderr.splitlines()
    assert [line.split(":")[0] for line in lines[:4]] == ["line 3", "line 4", "line 5", "line 6"]
    assert lines[-1].startswith("error: ") and "4 problem(s); nothing was created" in lines[-1]
    assert wire.hits == [] and codes(site, "Project") == []


def test_dry_run_reports_without_writing(wire: ShotGridWire, site: Any) -> None:
    result = run("show-setup", str(EXAMPLES / "show_setup.csv"), "-p", "OP", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "would create: 2 episodes, 3 sequences, 7 shots, 3 assets" in result.stdout
    assert wire.count("batch") == 0 and wire.count("create") == 0


def test_a_rerun_reports_changed_cut_ranges_and_updates_only_with_update(
    wire: ShotGridWire, site: Any, tmp_path: Path
) -> None:
    """Issue 14.15 through the CLI on ShotGrid: each difference listed; --update applies."""
    lines = (EXAMPLES / "show_setup.csv").read_text(encoding="utf-8").splitlines()
    assert run("show-setup", str(EXAMPLES / "show_setup.csv"), "-p", "OP").exit_code == 0
    header = lines[0].split(",")
    row = dict(zip(header, lines[1].split(","), strict=True))
    old_in, shot = row["cut_in"], row["shot"]
    row["cut_in"] = str(int(old_in) + 8)
    changed = tmp_path / "changed.csv"
    changed.write_text("\n".join([lines[0], ",".join(row.values()), *lines[2:]]) + "\n")
    expected = f"Shot {shot} cut_in: {old_in} -> {int(old_in) + 8}"

    def cut_in() -> int:
        return int(site.find_one("Shot", [["code", "is", shot]], ["sg_cut_in"])["sg_cut_in"])

    reported = run("show-setup", str(changed), "-p", "OP")
    assert reported.exit_code == 0, reported.output
    assert "differences: 1 (not applied: rerun with --update)" in reported.stdout
    assert expected in reported.stdout and cut_in() == int(old_in)
    dry = run("show-setup", str(changed), "-p", "OP", "--update", "--dry-run")
    assert expected in dry.stdout and "would be updated" in dry.stdout and cut_in() == int(old_in)
    as_json = json.loads(run("show-setup", str(changed), "-p", "OP", "--format", "json").stdout)
    assert as_json["differences"] == [
        {
            "kind": "Shot",
            "code": shot,
            "field": "cut_in",
            "old": int(old_in),
            "new": int(old_in) + 8,
        }
    ]
    applied = run("show-setup", str(changed), "-p", "OP", "--update")
    assert "differences: 1 (updated)" in applied.stdout and cut_in() == int(old_in) + 8
    assert "differences" not in run("show-setup", str(changed), "-p", "OP").stdout


def test_a_wrong_script_key_is_one_line_exit_6_and_one_request(
    wire: ShotGridWire, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ONEPIECE_SHOTGRID_KEY", "not-the-right-key")
    result = run("show-setup", str(EXAMPLES / "show_setup.csv"), "--project", "OP")
    assert result.exit_code == 6
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("error: ShotGrid refused the script credentials")
    assert "ONEPIECE_SHOTGRID_KEY" in result.stderr and "Traceback" not in result.output
    assert wire.count("read") == 1


def test_a_busy_site_is_retried_and_the_retry_is_logged_to_stderr(wire: ShotGridWire) -> None:
    """A real process, so logging goes where users see it: stderr, not stdout."""
    wire.fail_next(Fault("status", 503, method="batch"))
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
    }
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "onepiece",
            "shotgrid",
            "show-setup",
            str(EXAMPLES / "show_setup.csv"),
            "-p",
            "OP",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    retry_lines = [line for line in result.stderr.splitlines() if "retrying in" in line]
    assert len(retry_lines) == 1 and "HTTP 503" in retry_lines[0]
    assert "retrying" not in result.stdout and "created: 2 episodes" in result.stdout


def test_a_setup_template_from_the_data_dir_fills_defaults(
    wire: ShotGridWire, site: Any, isolated_env: Path, tmp_path: Path
) -> None:
    templates = isolated_env / "data" / "onepiece" / "templates"
    templates.mkdir(parents=True)
    shutil.copy(EXAMPLES / "templates" / "feature.json", templates)
    csv = tmp_path / "film.csv"
    csv.write_text("episode,scene,shot,cut_out\n,sq010,sq010_0010,1100\n", encoding="utf-8")
    result = run("show-setup", str(csv), "--project", "FILM", "--template", "feature")
    assert result.exit_code == 0, result.output
    (shot,) = site.find("Shot", [], ["code", "sg_cut_in", "sg_status_list"])
    assert (shot["sg_cut_in"], shot["sg_status_list"]) == (1001, "wtg")
    missing = run("show-setup", str(csv), "--project", "FILM", "--template", "nope")
    assert missing.exit_code == 4 and "available: feature" in missing.stderr


def test_templates_save_then_apply_copies_the_tree_to_a_new_project(
    wire: ShotGridWire, site: Any, tmp_path: Path
) -> None:
    assert run("show-setup", str(EXAMPLES / "show_setup.csv"), "-p", "OP").exit_code == 0
    tree = tmp_path / "op_tree.yaml"
    saved = run("templates", "save", str(tree), "--project", "OP")
    assert saved.exit_code == 0, saved.output
    assert "7 shots" in saved.stdout and "with asset links" in saved.stdout
    dry = run("templates", "apply", str(tree), "--project", "OP2", "--dry-run")
    assert "would create: 2 episodes, 3 sequences, 7 shots, 3 assets" in dry.stdout
    batches_before = wire.count("batch")
    applied = run("templates", "apply", str(tree), "--project", "OP2", "--format", "json")
    assert applied.exit_code == 0, applied.output
    data = json.loads(applied.stdout)
    assert data["created"] == {"Episode": 2, "Sequence": 3, "Shot": 7, "Asset": 3}
    assert wire.count("batch") - batches_before == 4  # one per level, batch size 100
    op2 = site.find_one("Project", [["tank_name", "is", "OP2"]], ["id"])
    shots = site.find("Shot", [["project", "is", op2]], ["code"])
    assert len(shots) == 7
