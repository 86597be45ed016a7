"""End-to-end fixtures: the real ``onepiece`` command in a subprocess, and its servers."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.ingest_support import clean_delivery, sample_delivery, stores  # noqa: F401 - fixtures
from tests.pg_database import database_env  # noqa: F401 - fixture
from tests.s3_endpoint import s3_endpoint_url, s3_server  # noqa: F401 - fixtures

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def onepiece(isolated_env: Path) -> Run:
    """Run ``python -m onepiece ARGS`` with the isolated environment; never raises."""

    def run(
        *args: str, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "onepiece", *args],
            capture_output=True,
            text=True,
            env={**os.environ, **(env or {})},
            cwd=cwd,
            timeout=timeout,
            check=False,
        )

    return run


# Browser fixtures for the pages' tests (Chromium via Playwright; skip when it is absent).
from tests.e2e.browser_support import (  # noqa: E402, F401
    chromium,
    make_scene,
    open_tab,
    pages_server,
    server_process,
)
from tests.fake_cuebot import fake_cuebot  # noqa: E402, F401 - real gRPC Cuebot for the pages
