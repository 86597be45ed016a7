"""A real S3 endpoint on loopback for tests: moto's server, started once per session.

Fixtures (exposed by tests/integration/conftest.py and tests/e2e/conftest.py):

- ``s3_server``: the running :class:`S3Endpoint` (session-scoped).
- ``s3_endpoint_url``: its URL, with test credentials set in this process's
  environment for the test (the suite's autouse fixture clears ``AWS_*``).

For subprocesses (the ``onepiece`` CLI, the ``s5cmd`` binary) pass
``{**os.environ, **endpoint.env()}``. moto keeps objects in memory and shares
them across the session: use :func:`unique_bucket` so tests never collide.
"""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ACCESS_KEY = "onepiece-test"
SECRET_KEY = "onepiece-test-secret"
REGION = "us-east-1"


@dataclass(frozen=True)
class S3Endpoint:
    url: str
    access_key: str = ACCESS_KEY
    secret_key: str = SECRET_KEY
    region: str = REGION

    def env(self, *, onepiece: bool = True) -> dict[str, str]:
        """Environment for a subprocess talking to this endpoint.

        With ``onepiece`` (the default) it also selects the S3 storage backend.
        ``AWS_EC2_METADATA_DISABLED`` keeps botocore from probing the instance
        metadata address, which is not on loopback.
        """
        env = {
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
            "AWS_EC2_METADATA_DISABLED": "true",
        }
        if onepiece:
            env["ONEPIECE_STORAGE_BACKEND"] = "s3"
            env["ONEPIECE_STORAGE_ENDPOINT_URL"] = self.url
        return env

    def client(self) -> Any:
        """A plain boto3 client on this endpoint, for assertions beside our adapter."""
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.url,
            region_name=self.region,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            config=Config(s3={"addressing_style": "path"}),
        )


def unique_bucket(prefix: str = "test") -> str:
    """A fresh valid bucket name (moto's state is shared by the whole session)."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def closed_port_url() -> str:
    """An http URL on loopback where nothing listens (connection refused at once)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Endpoint]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield S3Endpoint(url=f"http://{host}:{port}")
    finally:
        server.stop()


@pytest.fixture
def s3_endpoint_url(
    s3_server: S3Endpoint, isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> str:
    """The loopback endpoint's URL; test credentials are in the environment."""
    for name, value in s3_server.env(onepiece=False).items():
        monkeypatch.setenv(name, value)
    return s3_server.url
