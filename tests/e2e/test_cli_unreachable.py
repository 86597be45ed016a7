"""The CLI when the tracker, storage or farm cannot be reached: one line, the right exit code.

``info --check`` prints FAIL for the system it cannot reach (exit 1) instead
of crashing; a command that needs the system ends with one ``error:`` line
and that system's exit code (tracker 6, storage 7, farm 8).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from onepiece.cli import exit_codes
from tests.e2e.conftest import Run
from tests.unreachable import unreachable

KINDS = ("dns", "refused", "tls_to_plain", "silent")


def _one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert "Traceback" not in result.stderr
    assert "this is a bug" not in result.stderr
    errors = [line for line in lines if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    return errors[0]


def _shotgrid(where: str) -> dict[str, str]:
    return {
        "ONEPIECE_TRACKER_BACKEND": "shotgrid",
        "ONEPIECE_SHOTGRID_URL": f"https://{where}",
        "ONEPIECE_SHOTGRID_SCRIPT": "onepiece",
        "ONEPIECE_SHOTGRID_KEY": "e2e-unreachable-7d2a",
        "ONEPIECE_SHOTGRID_MAX_ATTEMPTS": "1",
        "ONEPIECE_SHOTGRID_TIMEOUT_SECONDS": "2",
    }


@pytest.mark.parametrize("kind", KINDS)
def test_tracker_out_of_reach(onepiece: Run, kind: str) -> None:
    with unreachable(kind) as where:
        env = _shotgrid(where)
        check = onepiece("info", "--check", env=env)
        listing = onepiece("shotgrid", "versions", "list", "--project", "FG", env=env)
    assert check.returncode == 1, check.stderr
    assert "check tracker (shotgrid): FAIL" in check.stdout
    assert "Traceback" not in check.stderr
    assert listing.returncode == exit_codes.TRACKER, listing.stderr
    assert "unreachable" in _one_error_line(listing)


@pytest.mark.parametrize("kind", KINDS)
def test_storage_out_of_reach(onepiece: Run, kind: str, tmp_path: Path) -> None:
    scheme = "http" if kind == "refused" else "https"
    with unreachable(kind) as where:
        env = {
            "ONEPIECE_STORAGE_BACKEND": "s3",
            "ONEPIECE_STORAGE_ENDPOINT_URL": f"{scheme}://{where}",
            "AWS_ACCESS_KEY_ID": "unreachable",
            "AWS_SECRET_ACCESS_KEY": "unreachable-secret",
            "AWS_DEFAULT_REGION": "us-east-1",
        }
        check = onepiece("info", "--check", env=env)
    assert check.returncode == 1, check.stderr
    assert "check storage (s3): FAIL" in check.stdout
    assert "Traceback" not in check.stderr


@pytest.mark.parametrize("kind", KINDS)
def test_farm_out_of_reach(onepiece: Run, kind: str, tmp_path: Path) -> None:
    scene = tmp_path / "shot.ma"
    scene.write_text("// scene\n")
    with unreachable(kind) as where:
        env = {
            "OPENCUE_HOSTS": where,
            "OPENCUE_DEFAULT_SHOW": "testing",
            "OPENCUE_TIMEOUT_SECONDS": "2",
        }
        submit = onepiece(
            "render", "submit", "--farm", "opencue", "--dcc", "maya", "--scene", str(scene),
            "--frames", "1-4", "--output", str(tmp_path / "out" / "f.####.exr"),
            "--user", "carol", env=env,
        )  # fmt: skip
        check = onepiece("info", "--check", env=env)
    assert submit.returncode == exit_codes.FARM, submit.stderr
    assert "Cuebot" in _one_error_line(submit)
    assert check.returncode == 1, check.stderr
    assert "check farm (opencue): FAIL" in check.stdout
