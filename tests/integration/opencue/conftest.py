"""OpenCue integration fixtures: the fake Cuebot (real gRPC) and settings pointing at it."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from onepiece.config import Settings, load_config
from tests.fake_cuebot import FakeCuebot, fake_cuebot  # noqa: F401 - fixture

MakeSettings = Callable[..., Settings]


@pytest.fixture
def opencue_settings() -> MakeSettings:
    """Settings from OPENCUE_* variables, as a deployment would set them."""

    def make(hosts: str | None, **env: str) -> Settings:
        environ = {"OPENCUE_TIMEOUT_SECONDS": "2", "OPENCUE_CACHE_SECONDS": "0", **env}
        if hosts is not None:
            environ["OPENCUE_HOSTS"] = hosts
        return load_config(environ=environ).settings

    return make


@pytest.fixture
def cue_settings(fake_cuebot: FakeCuebot, opencue_settings: MakeSettings) -> Settings:  # noqa: F811
    return opencue_settings(fake_cuebot.address, OPENCUE_DEFAULT_SHOW="testing")
