"""Deliverables honour the umask: readable by colleagues and transfer services (issue 14.5).

``tempfile.mkstemp`` makes 0600 files and an atomic rename keeps that mode, so
every writer built on a temp file must set the mode a plain ``open`` would.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from onepiece.bootstrap import bootstrap
from onepiece.config import Settings
from onepiece.services.dcc.publish import publish
from onepiece.services.delivery.deliver import DeliveryRequest, deliver
from onepiece.services.delivery.playlist_package import PackageRequest, package_playlist
from onepiece.services.review.versions import create_playlist
from tests.integration.delivery_world import PROJECT, make_world
from tests.integration.test_dcc import request_for as publish_request
from tests.integration.test_dcc import write_inputs

UMASKS = [(0o022, 0o644), (0o027, 0o640), (0o002, 0o664)]


@pytest.fixture(params=UMASKS, ids=lambda p: f"umask{p[0]:03o}")
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    mask, expected = request.param
    previous = os.umask(mask)
    try:
        yield expected
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_deliver_zip_and_manifests_follow_the_umask(umask: int, tmp_path: Path) -> None:
    world = make_world(tmp_path, "local")
    world.add_clip("FG_ep010_sc02_0010_comp_v004", b"clip" * 100)
    prefix = tmp_path / "manifests" / "FG_client"
    output = tmp_path / "out" / "FG_client.zip"
    deliver(
        world.services,
        DeliveryRequest(PROJECT, "client_out", output, manifest_prefix=prefix, upload=False),
    )
    for path in (output, prefix.parent / "FG_client.json", prefix.parent / "FG_client.csv"):
        assert mode(path) == umask, path
    world.services.close()


def test_playlist_package_files_follow_the_umask(umask: int, tmp_path: Path) -> None:
    world = make_world(tmp_path, "local")
    world.add_clip("FG_ep010_sc02_0010_comp_v004", b"clip" * 100)
    create_playlist(world.services.tracker, PROJECT, "d", None, ["FG_ep010_sc02_0010_comp_v004"])
    result = package_playlist(world.services, PackageRequest(PROJECT, "d", tmp_path / "outbox"))
    files = [p for p in result.folder.rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {"manifest.json", "manifest.csv"}
    for path in files:
        assert mode(path) == umask, path
    world.services.close()


def test_dcc_publish_package_follows_the_umask(umask: int, tmp_path: Path) -> None:
    services = bootstrap(Settings(data_dir=tmp_path / "data"))
    inputs = write_inputs(tmp_path / "in")
    result = publish(services, publish_request(tmp_path, inputs))
    files = [p for p in result.package.rglob("*") if p.is_file()]
    assert "manifest.json" in {p.name for p in files}
    for path in files:
        assert mode(path) == umask, path
    services.close()
