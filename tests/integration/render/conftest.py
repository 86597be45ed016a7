"""Shared fixtures for render integration tests: a scene for the built-in renderer."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest


@pytest.fixture
def make_scene(tmp_path: Path) -> Callable[..., Path]:
    """Write a built-in renderer scene: ``make_scene(delay=0.05, fail_on=[3])``."""

    def make(name: str = "scene.json", **options: object) -> Path:
        path = tmp_path / "scenes" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"width": 16, "height": 8, **options}))
        return path

    return make
