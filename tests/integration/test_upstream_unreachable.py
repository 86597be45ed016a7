"""Every way the tracker, storage and farm SDKs fail to reach their server is "unavailable".

DNS that does not resolve, a refused port, TLS spoken to a plain port, a
server that never answers and (storage) an unreachable proxy: each becomes
our TrackerUnavailable, StorageUnavailable or AdapterUnavailable at the
adapter boundary, never a raw SDK exception.
"""

from __future__ import annotations

import pytest

from onepiece.adapters.storage.s3.storage import S3Storage
from onepiece.adapters.trackers.shotgrid.retry import RetryPolicy
from onepiece.adapters.trackers.shotgrid.session import ShotGridSession, connect
from onepiece.config import Settings, load_config
from onepiece.errors import AdapterUnavailable, StorageUnavailable, TrackerUnavailable
from tests.unreachable import KINDS, unreachable


def _shotgrid_settings(url: str) -> Settings:
    return Settings.model_validate(
        {
            "shotgrid": {
                "url": url,
                "script": "onepiece",
                "key": "unreachable-key-4c1f",
                "timeout_seconds": 2,
                "max_attempts": 1,
            },
        }
    )


@pytest.mark.parametrize("kind", KINDS)
def test_shotgrid_that_cannot_be_reached_is_tracker_unavailable(kind: str) -> None:
    with unreachable(kind) as where:
        session = ShotGridSession(connect(_shotgrid_settings(f"https://{where}")), RetryPolicy(1))
        with pytest.raises(TrackerUnavailable) as caught:
            session.find("Project", [], ["name"])
    assert where.split(":")[0] in caught.value.message
    assert caught.value.hint


@pytest.mark.parametrize("kind", KINDS)
def test_s3_that_cannot_be_reached_is_storage_unavailable(
    kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "unreachable")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "unreachable-secret")
    scheme = "https" if kind in ("dns", "tls_to_plain") else "http"
    with unreachable(kind) as where:
        storage = S3Storage(
            endpoint_url=f"{scheme}://{where}",
            region="us-east-1",
            max_attempts=1,
            connect_timeout=2,
            read_timeout=2,
        )
        with pytest.raises(StorageUnavailable) as caught:
            storage.head("bucket", "key")
    assert where in caught.value.message
    assert caught.value.hint


def test_s3_behind_an_unreachable_proxy_is_storage_unavailable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "unreachable")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "unreachable-secret")
    with unreachable("refused") as proxy:
        monkeypatch.setenv("HTTPS_PROXY", f"http://{proxy}")
        monkeypatch.setenv("NO_PROXY", "")
        storage = S3Storage(
            endpoint_url="https://s3.example.com", region="us-east-1", max_attempts=1
        )
        with pytest.raises(StorageUnavailable):
            storage.head("bucket", "key")


@pytest.mark.parametrize("kind", KINDS)
def test_cuebot_that_cannot_be_reached_is_adapter_unavailable(kind: str) -> None:
    from onepiece.adapters.farms.opencue.farm import create
    from tests.fake_cuebot import reset_pycue

    with unreachable(kind) as where:
        environ = {"OPENCUE_HOSTS": where, "OPENCUE_TIMEOUT_SECONDS": "2"}
        farm = create(load_config(environ=environ).settings)
        try:
            with pytest.raises(AdapterUnavailable) as caught:
                farm.check()
        finally:
            reset_pycue()
    assert where in caught.value.message
