"""OpenCue end-to-end fixtures: the fake Cuebot for CLI runs in a subprocess."""

from __future__ import annotations

from tests.fake_cuebot import fake_cuebot  # noqa: F401 - fixture
