"""`onepiece info --check` probes the configured storage, run as a user would."""

from __future__ import annotations

import json
import subprocess
from typing import Any

from tests.e2e.conftest import Run
from tests.s3_endpoint import S3Endpoint, closed_port_url


def run_info_check(
    onepiece: Run, env: dict[str, str]
) -> tuple[subprocess.CompletedProcess[str], Any]:
    result = onepiece("info", "--check", "--format", "json", env=env, timeout=60)
    return result, json.loads(result.stdout)


def storage_check(data: Any) -> dict[str, str]:
    return next(c for c in data["checks"] if c["name"].startswith("storage"))


def test_dead_s3_endpoint_prints_fail_with_the_reason_and_no_traceback(onepiece: Run) -> None:
    dead = closed_port_url()

    result, data = run_info_check(onepiece, S3Endpoint(url=dead).env())

    check = storage_check(data)
    assert check["name"] == "storage (s3)"
    assert check["status"] == "FAIL"
    assert dead in check["detail"]
    assert data["storage"]["endpoint_url"] == dead
    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout


def test_live_s3_endpoint_checks_ok(onepiece: Run, s3_server: S3Endpoint) -> None:
    _, data = run_info_check(onepiece, s3_server.env())

    check = storage_check(data)
    assert (check["status"], check["detail"]) == ("OK", f"s3 {s3_server.url}")


def test_local_storage_checks_ok_by_default(onepiece: Run) -> None:
    _, data = run_info_check(onepiece, {})

    check = storage_check(data)
    assert check["name"] == "storage (local)"
    assert check["status"] == "OK"
    assert check["detail"].startswith("local ")
