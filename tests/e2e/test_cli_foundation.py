"""The CLI shell as a new user meets it: help, info, profile, errors and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.conftest import Run


def test_help_lists_the_command_groups(onepiece: Run) -> None:
    result = onepiece("--help")
    assert result.returncode == 0
    for command in ("info", "profile"):
        assert command in result.stdout


def test_info_json_is_pure_json_on_stdout(onepiece: Run) -> None:
    result = onepiece("info", "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["tracker"]["backend"] == "local"
    assert data["storage"]["backend"] == "local"
    assert set(data["dccs"]) >= {"maya", "nuke", "houdini", "blender", "katana", "mari", "unreal"}


def test_info_masks_the_shotgrid_key(onepiece: Run) -> None:
    env = {
        "ONEPIECE_SHOTGRID_URL": "https://studio.example.com",
        "ONEPIECE_SHOTGRID_SCRIPT": "onepiece",
        "ONEPIECE_SHOTGRID_KEY": "very-secret-key-42",
    }
    result = onepiece("info", env=env)
    assert result.returncode == 0, result.stderr
    assert "tracker: shotgrid https://studio.example.com" in result.stdout
    assert "very-secret-key-42" not in result.stdout + result.stderr


def test_profile_show_sources_names_file_line_and_variable(
    onepiece: Run, isolated_env: Path, tmp_path: Path
) -> None:
    user = isolated_env / "config" / "onepiece" / "onepiece.toml"
    user.parent.mkdir(parents=True)
    user.write_text('project = "from_user"\n', encoding="utf-8")
    project_root = tmp_path / "proj"
    project_root.mkdir()
    (project_root / "onepiece.toml").write_text('\nshow_code = "FG"\n', encoding="utf-8")
    env = {"ONEPIECE_PROJECT_ROOT": str(project_root), "ONEPIECE_STORAGE_REGION": "eu-west-3"}

    result = onepiece("profile", "--show-sources", "--format", "json", env=env)

    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)["settings"]
    assert rows["project"] == {"value": "from_user", "source": f"{user}:1"}
    assert rows["show_code"] == {"value": "FG", "source": f"{project_root / 'onepiece.toml'}:2"}
    assert rows["storage.region"]["source"] == "env ONEPIECE_STORAGE_REGION"
    text = onepiece("profile", "--show-sources", env=env).stdout
    assert f"[{user}:1]" in text


def test_profile_masks_secrets(onepiece: Run) -> None:
    env = {"TRAFALGAR_DASHBOARD_TOKEN": "tok-abcdef-123456"}
    result = onepiece("profile", "--format", "json", env=env)
    assert result.returncode == 0
    assert "tok-abcdef-123456" not in result.stdout
    assert json.loads(result.stdout)["settings"]["trafalgar.dashboard_token"] == "**********"


def test_malformed_toml_is_one_line_and_config_exit_code(onepiece: Run, tmp_path: Path) -> None:
    (tmp_path / "onepiece.toml").write_text("[storage\n", encoding="utf-8")
    result = onepiece("info", cwd=tmp_path)
    assert result.returncode == 3
    assert "Traceback" not in result.stderr
    assert f"{tmp_path / 'onepiece.toml'}:1" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_unknown_profile_lists_existing_ones(onepiece: Run, tmp_path: Path) -> None:
    (tmp_path / "onepiece.toml").write_text("[profiles.lighting]\n", encoding="utf-8")
    result = onepiece("--profile", "nope", "profile", cwd=tmp_path)
    assert result.returncode == 3
    assert "profiles available: lighting" in result.stderr


def test_unknown_key_warns_on_stderr_and_still_runs(onepiece: Run, tmp_path: Path) -> None:
    (tmp_path / "onepiece.toml").write_text("colour = 1\n", encoding="utf-8")
    result = onepiece("info", "--format", "json", cwd=tmp_path)
    assert result.returncode == 0
    json.loads(result.stdout)
    assert "unknown configuration key 'colour'" in result.stderr


def test_usage_error_prints_usage_not_a_traceback(onepiece: Run) -> None:
    result = onepiece("info", "--format", "yaml")
    assert result.returncode == 2
    assert "Usage:" in result.stderr
    assert "Traceback" not in result.stderr


def test_debug_shows_the_traceback(onepiece: Run, tmp_path: Path) -> None:
    (tmp_path / "onepiece.toml").write_text("[storage\n", encoding="utf-8")
    result = onepiece("--debug", "info", cwd=tmp_path)
    assert result.returncode != 0
    assert "Traceback" in result.stderr


def test_profile_prints_resolved_paths_for_derived_defaults(
    onepiece: Run, isolated_env: Path, tmp_path: Path
) -> None:
    """Issue 14.18: storage root, registry and history paths show where they resolve."""
    data = tmp_path / "studio-data"
    env = {"ONEPIECE_DATA_DIR": str(data), "ONEPIECE_STORAGE_ROOT": str(tmp_path / "buckets")}
    settings = json.loads(onepiece("profile", "--format", "json", env=env).stdout)["settings"]
    assert settings["storage.root"] == str(tmp_path / "buckets")  # a set value wins
    assert settings["tracker.path"] == str(data / "tracker.db")
    assert settings["ingest.registry_path"] == str(data / "ingest-runs.json")
    assert settings["delivery.registry_path"] == str(data / "deliveries.json")
    assert settings["trafalgar.render_jobs_path"] == str(data / "render-jobs.db")
    text = onepiece("profile", "--show-sources", env=env).stdout
    for line in text.splitlines():
        if line.startswith(("tracker.path", "storage.root", "ingest.registry_path")):
            assert "None" not in line, line
    assert f"{data / 'tracker.db'}    [default (under data_dir)]" in text
