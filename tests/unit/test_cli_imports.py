"""`onepiece --help` stays fast and offline: no heavy SDK is imported to build the CLI."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = [
    "boto3",
    "botocore",
    "shotgun_api3",
    "fastapi",
    "uvicorn",
    "av",
    "opencue",
    "grpc",
    "numpy",
    "opentimelineio",
    "pydantic_settings",
    "httpx",
    "sqlite3",
]


def test_building_the_cli_imports_no_heavy_sdk() -> None:
    code = (
        "import sys, json; from onepiece.cli.app import app; "
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert json.loads(result.stdout) == []
