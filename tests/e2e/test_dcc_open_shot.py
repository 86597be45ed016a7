"""`dcc open-shot` end to end with fake DCC executables on a PATH the test writes."""

from __future__ import annotations

import stat
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import Run


def fake_tool(folder: Path, name: str, marker: Path) -> None:
    """An executable that records that it ran (and with what) in ``marker``."""
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / name
    script.write_text(f'#!/bin/sh\necho "{name} $*" >> "{marker}"\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)


@pytest.mark.parametrize(
    ("scene_name", "batch_tools"),
    [("shot.ma", ["Render", "mayabatch"]), ("fx.hip", ["hython"]), ("fx.hipnc", ["hbatch"])],
)
def test_batch_tools_alone_are_not_an_installed_dcc(
    onepiece: Run, tmp_path: Path, scene_name: str, batch_tools: list[str]
) -> None:
    """Issue 14.14: Render or hython never 'open' a shot; the DCC is reported missing (3)."""
    marker = tmp_path / "ran.txt"
    for tool in batch_tools:
        fake_tool(tmp_path / "bin", tool, marker)
    scene = tmp_path / scene_name
    scene.write_text("scene")
    result = onepiece("dcc", "open-shot", "--shot", str(scene), env={"PATH": str(tmp_path / "bin")})
    assert result.returncode == 3, result.stderr
    assert "is not installed" in result.stderr and batch_tools[0] in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "opened" not in result.stdout
    time.sleep(0.2)  # a batch tool started detached would have written by now
    assert not marker.exists()


def test_a_configured_batch_tool_is_refused(onepiece: Run, tmp_path: Path) -> None:
    marker = tmp_path / "ran.txt"
    fake_tool(tmp_path / "bin", "Render", marker)
    scene = tmp_path / "shot.mb"
    scene.write_text("scene")
    env = {"ONEPIECE_DCC__EXECUTABLES__MAYA": str(tmp_path / "bin" / "Render")}
    result = onepiece("dcc", "open-shot", "--shot", str(scene), env=env)
    assert result.returncode == 3 and "batch tool" in result.stderr
    assert not marker.exists()


@pytest.mark.parametrize(("scene_name", "app"), [("fx.hip", "houdinifx"), ("shot.ma", "maya")])
def test_the_interactive_application_is_launched(
    onepiece: Run, tmp_path: Path, scene_name: str, app: str
) -> None:
    marker = tmp_path / "ran.txt"
    for tool in ("Render", "hython", app):
        fake_tool(tmp_path / "bin", tool, marker)
    scene = tmp_path / scene_name
    scene.write_text("scene")
    result = onepiece("dcc", "open-shot", "--shot", str(scene), env={"PATH": str(tmp_path / "bin")})
    assert result.returncode == 0, result.stderr
    assert f"({tmp_path / 'bin' / app}, pid" in result.stdout
    for _ in range(100):  # the detached application writes its marker soon after
        if marker.exists() and marker.read_text():
            break
        time.sleep(0.05)
    assert marker.read_text() == f"{app} {scene.resolve()}\n"
