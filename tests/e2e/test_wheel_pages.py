"""The pages ship inside the wheel: build it, install it apart, serve the pages from it.

Tests the installed wheel, not the source tree: the app is imported from a
folder holding only the installed wheel, in a fresh interpreter, so a template
or asset missing from the package data fails here even though the source
tree has it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
WEB = REPO / "src" / "onepiece" / "web"

SERVE_FROM_WHEEL = """
import sys
from pathlib import Path
import onepiece
assert Path(onepiece.__file__).is_relative_to(Path(sys.argv[1])), onepiece.__file__
from fastapi.testclient import TestClient
from onepiece.config import Settings
from onepiece.web.app import create_app
app = create_app(Settings(data_dir=Path(sys.argv[2])))
with TestClient(app) as client:
    for path in ("/", "/operations", "/static/live.js", "/static/pages.css",
                 "/static/dashboard.js", "/static/operations.js"):
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
    assert "Workload" in client.get("/").text
print("served from the wheel")
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build from a copy of the sources, so the worktree gets no build/ or egg-info."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "src-copy"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, source / name)
    shutil.copytree(
        REPO / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
    )
    out = work / "dist"
    # No build isolation: the venv's setuptools builds it, nothing is downloaded.
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--quiet", str(source), "-w", str(out)],
        check=True, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    [built] = out.glob("onepiece-*.whl")
    return built


def test_templates_and_static_files_are_in_the_wheel(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {
        f"onepiece/web/{folder}/{path.name}"
        for folder in ("templates", "static")
        for path in (WEB / folder).iterdir()
        if path.is_file()
    }
    assert {n for n in expected if n.endswith(".html")}, "no templates found in the source"
    assert expected <= names, sorted(expected - names)


def test_the_installed_wheel_serves_the_pages(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "installed"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--quiet",
         "--target", str(target), str(wheel)],
        check=True, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(target)}
    result = subprocess.run(
        [sys.executable, "-c", SERVE_FROM_WHEEL, str(target), str(tmp_path / "data")],
        capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "served from the wheel" in result.stdout


def test_the_installed_wheel_runs_the_demo_without_the_source_tree(
    wheel: Path, tmp_path: Path
) -> None:
    """`onepiece demo` for a user who installed the package: no Makefile, no docs/ folder."""
    target = tmp_path / "installed"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--quiet",
         "--target", str(target), str(wheel)],
        check=True, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(target), "CI": "true"}  # CI: check, do not serve
    where = subprocess.run(
        [sys.executable, "-c", "import onepiece.demo; print(onepiece.demo.__file__)"],
        capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path, check=True,
    )  # fmt: skip
    assert Path(where.stdout.strip()).is_relative_to(target)
    result = subprocess.run(
        [sys.executable, "-m", "onepiece", "demo", str(tmp_path / "demo")],
        capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "demo OK" in result.stdout
