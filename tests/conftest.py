"""Suite-wide fixtures: every test runs with a clean environment and its own folders."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from onepiece.config import Settings, load_config
from tests.kitsu_server import kitsu, kitsu_server  # noqa: F401 - one zou per test session

_PREFIXES = ("ONEPIECE_", "TRAFALGAR_", "OPENCUE_", "CUEBOT_", "SHOTGUN_", "AWS_")


@pytest.fixture(autouse=True)
def isolated_env(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """No user config, data or credentials leak in; cwd is a scratch folder."""
    home = tmp_path_factory.mktemp("home")
    for name in list(os.environ):
        if name.startswith(_PREFIXES):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("HOME", str(home))
    # botocore would otherwise probe the EC2 metadata address (not loopback)
    # whenever a test runs without credentials.
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    work = home / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    yield home


@pytest.fixture
def settings(isolated_env: Path) -> Settings:
    """Settings resolved from the (empty) isolated environment."""
    return load_config().settings
