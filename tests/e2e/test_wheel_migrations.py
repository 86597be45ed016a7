"""The state database's migrations ship inside the wheel: upgrade a database from it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

from onepiece.state.db.migrate import HEAD_REVISION
from tests.e2e.test_wheel_pages import wheel  # noqa: F401 - the built wheel (fixture)

MIGRATIONS = Path(__file__).resolve().parents[2] / "src/onepiece/state/db/migrations"


def test_migrations_are_in_the_wheel(wheel: Path) -> None:  # noqa: F811
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {
        f"onepiece/state/db/migrations/{path.relative_to(MIGRATIONS)}"
        for path in MIGRATIONS.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert any("versions/" in name for name in shipped)
    assert shipped <= names, sorted(shipped - names)


def test_the_installed_wheel_upgrades_a_database(wheel: Path, tmp_path: Path) -> None:  # noqa: F811
    target = tmp_path / "installed"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--quiet",
         "--target", str(target), str(wheel)],
        check=True, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(target), "ONEPIECE_DATA_DIR": str(tmp_path / "data")}
    env.pop("ONEPIECE_DATABASE_URL", None)
    where = "import sys, onepiece.state.db.migrate as m; print(m.MIGRATIONS_DIR)"
    found = subprocess.run([sys.executable, "-c", where], capture_output=True, text=True, env=env)
    assert Path(found.stdout.strip()).is_relative_to(target), found.stdout + found.stderr
    result = subprocess.run(
        [sys.executable, "-m", "onepiece", "db", "upgrade", "--format", "json"],
        capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    applied = [a["revision"] for a in json.loads(result.stdout)["applied"]]
    # Every shipped revision is applied, in order, from the first to the one this code knows.
    assert applied == sorted(applied) and applied[0] == "0001" and applied[-1] == HEAD_REVISION
    assert len(applied) == len(list((MIGRATIONS / "versions").glob("[0-9]*.py")))
    assert (tmp_path / "data" / "state.db").is_file()
