"""Two ingests of the same delivery at once: the files are sent once, both reports are true."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from onepiece.samples import filler_delivery
from tests.s3_endpoint import S3Endpoint, unique_bucket

BASE = ("ingest", "--project", "demo", "--show-code", "FG", "--format", "json")


def start(folder: Path, env: dict[str, str], *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "onepiece", *BASE, str(folder), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **env},
    )


@pytest.mark.parametrize("backend", ["local", "s3"])
def test_two_runs_of_one_delivery_send_each_file_once(
    tmp_path: Path, isolated_env: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    env: dict[str, str] = {}
    if backend == "s3":
        endpoint: S3Endpoint = request.getfixturevalue("s3_server")
        env = {**endpoint.env(), "ONEPIECE_INGEST_VENDOR_BUCKET": unique_bucket("twice")}
    delivery = tmp_path / "delivery"
    files = filler_delivery(
        delivery, large_files=2, large_size=1 << 20, frames=300, frame_size=32 << 10
    )
    # Started together: both find nothing stored when they begin.
    first = start(delivery, env, "--workers", "1")
    second = start(delivery, env, "--workers", "1")
    second_out, second_err = second.communicate(timeout=300)
    first_out, first_err = first.communicate(timeout=300)

    assert first.returncode == 0, first_err
    assert second.returncode == 0, second_err
    counts = [json.loads(out)["counts"] for out in (first_out, second_out)]
    assert sum(c["uploaded"] for c in counts) == len(files)  # nothing sent twice
    for c in counts:
        assert c["uploaded"] + c["skipped"] == len(files)
        assert c["failed"] == 0
