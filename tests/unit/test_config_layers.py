"""Configuration layers, profiles, environment names and their sources."""

from __future__ import annotations

from pathlib import Path

import pytest

from onepiece.config import load_config
from onepiece.errors import ConfigError


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def user_file(isolated_env: Path) -> Path:
    return isolated_env / "config" / "onepiece" / "onepiece.toml"


def test_defaults_need_no_files(isolated_env: Path) -> None:
    resolved = load_config()
    assert resolved.files == []
    assert resolved.settings.tracker_backend == "local"
    assert resolved.settings.data_dir == isolated_env / "data" / "onepiece"


def test_each_layer_overrides_the_one_below_and_names_its_source(
    user_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(user_file, 'project = "from_user"\nshow_code = "US"\n[storage]\nregion = "eu-west-1"\n')
    project_root = tmp_path / "show"
    write(project_root / "onepiece.toml", 'show_code = "PR"\n\n[ingest]\nworkers = 3\n')
    monkeypatch.setenv("ONEPIECE_PROJECT_ROOT", str(project_root))
    workspace = tmp_path / "ws" / "shot" / "deep"
    workspace.mkdir(parents=True)
    write(tmp_path / "ws" / "onepiece.toml", "[ingest]\nworkers = 5\n")
    monkeypatch.setenv("ONEPIECE_STORAGE_REGION", "us-east-2")

    resolved = load_config(cwd=workspace, overrides={"project": "from_flag"})

    s = resolved.settings
    assert (s.project, s.show_code, s.ingest.workers, s.storage.region) == (
        "from_flag",
        "PR",
        5,
        "us-east-2",
    )
    assert resolved.sources["show_code"] == f"{project_root / 'onepiece.toml'}:1"
    assert resolved.sources["ingest.workers"] == f"{tmp_path / 'ws' / 'onepiece.toml'}:2"
    assert resolved.sources["storage.region"] == "env ONEPIECE_STORAGE_REGION"
    assert resolved.sources["project"] == "--project"


def test_documented_environment_names_map_to_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {
        "ONEPIECE_SHOTGRID_URL": "https://studio.shotgrid.autodesk.com",
        "ONEPIECE_SHOTGRID_SCRIPT": "onepiece",
        "ONEPIECE_SHOTGRID_KEY": "s3cr3t-key-value",
        "ONEPIECE_INGEST_REGISTRY": "/tmp/runs.json",
        "ONEPIECE_DASHBOARD_PROJECTS": "alpha, beta",
        "ONEPIECE_DASHBOARD_CACHE_TTL": "12",
        "TRAFALGAR_DASHBOARD_TOKEN": "a-real-token-123",
        "TRAFALGAR_RENDER_JOBS_HISTORY_LIMIT": "50",
        "OPENCUE_HOSTS": "cuebot:8443",
        "ONEPIECE_RENDER__MAX_CONCURRENCY": "4",
    }
    s = load_config(environ=env).settings
    assert s.tracker_backend == "shotgrid"
    assert s.shotgrid.key is not None and s.shotgrid.key.get_secret_value() == "s3cr3t-key-value"
    assert str(s.ingest_registry_path) == "/tmp/runs.json"
    assert s.dashboard.projects == ["alpha", "beta"]
    assert s.dashboard.cache_ttl == 12
    assert s.trafalgar.render_jobs_history_limit == 50
    assert s.opencue.hosts == "cuebot:8443"
    assert s.render.max_concurrency == 4


def test_profile_values_sit_above_files_and_below_environment(user_file: Path) -> None:
    write(
        user_file,
        'project = "base"\n[profiles.studio]\nproject = "studio_proj"\n'
        '[profiles.studio.storage]\nbackend = "s3"\n',
    )
    resolved = load_config(profile="studio")
    assert resolved.settings.project == "studio_proj"
    assert resolved.settings.storage.backend == "s3"
    assert resolved.sources["project"].endswith(":3 [profiles.studio]")
    env_wins = load_config(profile="studio", environ={"ONEPIECE_PROJECT": "env_proj"})
    assert env_wins.settings.project == "env_proj"


def test_profile_can_be_chosen_from_the_environment(user_file: Path) -> None:
    write(user_file, '[profiles.night]\nshow_code = "NT"\n')
    resolved = load_config(environ={"ONEPIECE_PROFILE": "night"})
    assert resolved.settings.show_code == "NT"
    assert resolved.settings.profile == "night"


def test_unknown_profile_lists_the_profiles_that_exist(user_file: Path) -> None:
    write(user_file, "[profiles.day]\n[profiles.night]\n")
    with pytest.raises(ConfigError, match="profiles available: day, night"):
        load_config(profile="weekend")


def test_malformed_toml_names_file_and_line(user_file: Path) -> None:
    write(user_file, 'project = "ok"\nshow_code = \n')
    with pytest.raises(ConfigError) as info:
        load_config()
    assert f"{user_file}:2" in info.value.message


def test_unknown_key_warns_with_key_and_file(user_file: Path) -> None:
    write(user_file, '[storage]\nbucket_nmae = "typo"\n')
    resolved = load_config()
    assert resolved.warnings == [
        f"unknown configuration key 'storage.bucket_nmae' in {user_file}:2; ignored"
    ]


def test_invalid_value_names_key_and_source(user_file: Path) -> None:
    write(user_file, '[storage]\nbackend = "ftp"\n')
    with pytest.raises(ConfigError, match=r"storage.backend.*onepiece.toml:2"):
        load_config()


def test_placeholder_secrets_are_refused() -> None:
    with pytest.raises(ConfigError, match="trafalgar.dashboard_token"):
        load_config(environ={"TRAFALGAR_DASHBOARD_TOKEN": "changeme"})


def test_free_form_tables_accept_any_key(user_file: Path) -> None:
    write(
        user_file,
        '[shows.FG]\nname_pattern = "^(?P<show>FG)_.*$"\n'
        '[render.commands]\nblender = "blender -b {scene}"\n[status_map]\nclientok = "approved"\n',
    )
    resolved = load_config()
    assert resolved.warnings == []
    assert resolved.settings.shows["FG"].name_pattern == "^(?P<show>FG)_.*$"
    assert resolved.settings.status_map == {"clientok": "approved"}


def test_other_tools_variables_sharing_our_prefixes_are_ignored() -> None:
    resolved = load_config(
        environ={"OPENCUE_CONFIG_FILE": "/etc/opencue.yaml", "OPENCUE_HOSTS": "cue:8443"}
    )
    assert resolved.warnings == []
    assert resolved.settings.opencue.hosts == "cue:8443"


def test_kitsu_settings_come_from_the_environment_and_auto_selects_kitsu() -> None:
    env = {
        "ONEPIECE_KITSU_URL": "https://kitsu.studio.example/api",
        "ONEPIECE_KITSU_EMAIL": "pipeline@studio.example",
        "ONEPIECE_KITSU_PASSWORD": "s3cr3t-pass-value",
        "ONEPIECE_KITSU_SHOT_TASK_TYPE": "Lighting",
    }
    s = load_config(environ=env).settings
    assert s.tracker_backend == "kitsu"
    assert s.kitsu.password is not None and "s3cr3t" not in repr(s.kitsu)
    assert s.kitsu.shot_task_type == "Lighting"
    both = {**env, "ONEPIECE_SHOTGRID_URL": "https://studio.shotgrid.autodesk.com"}
    assert load_config(environ=both).settings.tracker_backend == "shotgrid"
    with pytest.raises(ConfigError):
        load_config(environ={**env, "ONEPIECE_KITSU_PASSWORD": "password"})
