"""`aws sync-to/sync-from` summaries agree with their exit codes (issue 14.17).

The real s5cmd binary and the real CLI against moto's server on loopback; a
fresh HOME (the isolated environment) holds no AWS credentials.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import Run
from tests.s3_endpoint import S3Endpoint, unique_bucket

FILES = {"a.exr": 100, "b.exr": 20, "sub/c.exr": 30, "sub/d.exr": 40, "e.txt": 10}


def _tree(root: Path) -> Path:
    earlier = time.time() - 3600
    for name, size in FILES.items():
        path = root / "plates" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x" * size)
        os.utime(path, (earlier, earlier))
    return root


def _sync(
    onepiece: Run, direction: str, bucket: str, local: Path, env: dict[str, str], *extra: str
):
    return onepiece(
        "aws", f"sync-{direction}", "--bucket", bucket, "--show-code", "FG",
        "--folder", "plates", "--local-path", str(local), *extra, env=env,
    )  # fmt: skip


@pytest.fixture
def bucket(s3_server: S3Endpoint) -> str:
    name = unique_bucket("summary")
    s3_server.client().create_bucket(Bucket=name)
    return name


def _no_credentials(s3_server: S3Endpoint, home: Path) -> dict[str, str]:
    return {
        "ONEPIECE_STORAGE_ENDPOINT_URL": s3_server.url,
        "AWS_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(home / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "no-aws-credentials"),
    }


@pytest.mark.parametrize("direction", ["to", "from"])
def test_missing_credentials_are_a_configuration_error_in_one_line(
    onepiece: Run, s3_server: S3Endpoint, bucket: str, tmp_path: Path, isolated_env: Path,
    direction: str,
) -> None:  # fmt: skip
    env = _no_credentials(s3_server, isolated_env)
    for extra in ((), ("--dry-run",)):
        result = _sync(onepiece, direction, bucket, _tree(tmp_path / "local"), env, *extra)
        assert result.returncode == 3, (extra, result.stdout, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "credentials" in lines[0] and "hint:" in lines[0], lines
        assert "NoCredentialProviders" not in result.stderr + result.stdout
        assert "failed 0" not in result.stdout


def test_unknown_profile_is_a_configuration_error(
    onepiece: Run, s3_server: S3Endpoint, bucket: str, tmp_path: Path, isolated_env: Path
) -> None:
    env = {**_no_credentials(s3_server, isolated_env), **s3_server.env()}
    result = _sync(onepiece, "to", bucket, _tree(tmp_path / "l"), env, "--profile", "nosuch")
    assert result.returncode == 3, result.stderr
    assert "nosuch" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "0/0/0" not in result.stdout and "uploaded" not in result.stdout


def test_a_missing_bucket_fails_every_file_with_the_reason(
    onepiece: Run, s3_server: S3Endpoint, tmp_path: Path
) -> None:
    local = _tree(tmp_path / "local")
    missing = unique_bucket("absent")
    result = _sync(onepiece, "to", missing, local, s3_server.env(), "--exclude", "*.txt")
    assert result.returncode == 7, result.stderr
    line = result.stdout.strip()
    assert line.startswith("uploaded 0, skipped 0, failed 4 (0 bytes): ")
    assert f"bucket '{missing}' does not exist" in line and "(hint: " in line
    data = json.loads(
        _sync(onepiece, "to", missing, local, s3_server.env(), "--format", "json").stdout
    )
    assert (data["uploaded"], data["failed"]) == (0, len(FILES))
    assert missing in data["reason"] and data["hint"]


def test_dry_run_counts_bytes_and_exits_0(
    onepiece: Run, s3_server: S3Endpoint, bucket: str, tmp_path: Path
) -> None:
    local = _tree(tmp_path / "local")
    dry = _sync(onepiece, "to", bucket, local, s3_server.env(), "--dry-run", "--format", "json")
    assert dry.returncode == 0, dry.stderr
    data = json.loads(dry.stdout)
    assert (data["uploaded"], data["failed"], data["bytes"]) == (5, 0, sum(FILES.values()))
    assert "Contents" not in s3_server.client().list_objects_v2(Bucket=bucket)
    assert _sync(onepiece, "to", bucket, local, s3_server.env()).returncode == 0
    down = tmp_path / "down"
    back = _sync(onepiece, "from", bucket, down, s3_server.env(), "--dry-run")
    assert back.returncode == 0, back.stderr
    assert (
        back.stdout.strip()
        == f"dry run: would have downloaded 5, skipped 0, failed 0 ({sum(FILES.values())} bytes)"
    )
    assert not (down / "plates").exists() or not any((down / "plates").iterdir())


def _imported(stderr: str) -> set[str]:
    """Top-level modules named by ``PYTHONPROFILEIMPORTTIME`` lines."""
    found = set()
    for line in stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            found.add(line.rsplit("|", 1)[1].strip().split(".")[0])
    return found


def test_a_sync_that_fails_nothing_never_asks_s3_before_s5cmd(
    onepiece: Run, s3_server: S3Endpoint, bucket: str, tmp_path: Path
) -> None:
    """boto3's import and a request cost a small sync most of its time: only a
    failure (or a dry run, or a profile to verify) is worth asking S3 about."""
    env = {**s3_server.env(), "PYTHONPROFILEIMPORTTIME": "1"}
    local = _tree(tmp_path / "local")
    done = _sync(onepiece, "to", bucket, local, env)
    assert done.returncode == 0, done.stderr
    assert "uploaded 5, skipped 0, failed 0" in done.stdout
    assert "boto3" not in _imported(done.stderr)
    back = _sync(onepiece, "from", bucket, tmp_path / "down", env)
    assert back.returncode == 0 and (tmp_path / "down" / "plates" / "sub" / "d.exr").is_file()
    assert "boto3" not in _imported(back.stderr)
    missing = _sync(onepiece, "to", unique_bucket("absent"), local, env)  # a failure asks
    assert missing.returncode == 7 and "does not exist" in missing.stdout
    assert "boto3" in _imported(missing.stderr)
    failed = [line for line in missing.stderr.splitlines() if line.startswith("failed:")]
    assert failed == []  # s5cmd's own failure lines were held back for the one reason


@pytest.mark.parametrize("where", ["config", "credentials"])
def test_a_profile_named_in_the_aws_files_is_used(
    onepiece: Run, s3_server: S3Endpoint, bucket: str, tmp_path: Path, isolated_env: Path,
    where: str,
) -> None:  # fmt: skip
    keys = (
        f"aws_access_key_id = {s3_server.access_key}\n"
        f"aws_secret_access_key = {s3_server.secret_key}\n"
    )
    config = isolated_env / "aws-config"
    credentials = isolated_env / "aws-credentials"
    if where == "config":
        config.write_text(f"[profile studio]\nregion = us-east-1\n{keys}")
        credentials.write_text("")
    else:
        config.write_text("")
        credentials.write_text(f"[studio]\n{keys}")
    env = {
        **_no_credentials(s3_server, isolated_env),
        "AWS_CONFIG_FILE": str(config),
        "AWS_SHARED_CREDENTIALS_FILE": str(credentials),
    }
    result = _sync(onepiece, "to", bucket, _tree(tmp_path / "l"), env, "--profile", "studio")
    assert result.returncode == 0, result.stderr
    assert "uploaded 5, skipped 0, failed 0" in result.stdout
    wrong = _sync(onepiece, "to", bucket, _tree(tmp_path / "m"), env, "--profile", "Studio")
    assert wrong.returncode == 3 and "Studio" in wrong.stderr, wrong.stderr
