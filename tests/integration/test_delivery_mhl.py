"""Deliveries carry an ASC MHL history the ASC's reference tool verifies."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

from onepiece.bootstrap import bootstrap
from onepiece.config import Settings
from onepiece.services.dcc.publish import publish
from onepiece.services.delivery.deliver import DeliveryRequest, deliver
from onepiece.services.delivery.playlist_package import PackageRequest, package_playlist
from onepiece.services.review.versions import create_playlist
from tests.ascmhl_tool import XSD, tool
from tests.integration.delivery_world import PROJECT, make_world
from tests.integration.test_dcc import request_for as dcc_request
from tests.integration.test_dcc import write_inputs


def assert_reference_tool_accepts(folder: Path) -> None:
    history = folder / "ascmhl"
    generations = sorted(history.glob("*.mhl"))
    assert len(generations) == 1
    for check in (
        tool("ascmhl-debug", "verify", folder),
        tool("ascmhl-debug", "xsd-schema-check", generations[0], "-xsd", XSD / "ASCMHL.xsd"),
        tool(
            "ascmhl-debug",
            "xsd-schema-check",
            "-df",
            history / "ascmhl_chain.xml",
            "-xsd",
            XSD / "ASCMHLDirectory.xsd",
        ),
        tool("ascmhl", "info", folder),
        tool("ascmhl", "create", folder),  # a further generation, every file checked
    ):
        assert check.returncode == 0, [*check.args, check.stdout, check.stderr]


def test_a_delivered_zip_unpacks_to_a_verifiable_folder(tmp_path: Path) -> None:
    world = make_world(tmp_path, "local")
    world.add_clip("FG_ep010_sc02_0010_comp_v004", b"clip-a" * 1000)
    world.add_sequence("FG_ep010_sc02_0020_comp_v002", {1001: b"f1" * 50, 1002: b"f2" * 60})
    world.add_clip(
        "FG_ep010_sc02_0030_comp_v001",
        b"md5 recorded",
        shot="0030",
        checksum="md5:" + hashlib.md5(b"md5 recorded").hexdigest(),
    )

    result = deliver(
        world.services,
        DeliveryRequest(project=PROJECT, context="client_out", output=tmp_path / "FG_client.zip"),
    )
    world.services.close()

    unpacked = tmp_path / "unpacked"
    with zipfile.ZipFile(result.record.zip_path or "") as archive:
        archive.extractall(unpacked)
    folder = unpacked / result.record.package
    assert (folder / "manifest.json").is_file()
    assert_reference_tool_accepts(folder)


def test_a_playlist_package_is_verifiable(tmp_path: Path) -> None:
    world = make_world(tmp_path, "local")
    world.add_clip("FG_ep010_sc02_0010_comp_v004", b"a" * 100)
    create_playlist(
        world.services.tracker, PROJECT, "dailies", None, ["FG_ep010_sc02_0010_comp_v004"]
    )
    destination = tmp_path / "outbox"

    package_playlist(world.services, PackageRequest(PROJECT, "dailies", destination, "vendor"))
    world.services.close()

    assert_reference_tool_accepts(destination / "FG_dailies_vendor")


def test_a_dcc_publish_package_and_its_upload_are_verifiable(tmp_path: Path) -> None:
    services = bootstrap(Settings(data_dir=tmp_path / "data"))
    inputs = write_inputs(tmp_path / "in")

    result = publish(services, dcc_request(tmp_path, inputs))

    assert_reference_tool_accepts(result.package)
    uploaded = tmp_path / "uploaded"
    for info in services.storage.list("publishes"):
        services.storage.get_file("publishes", info.key, uploaded / info.key)
    assert_reference_tool_accepts(uploaded / "FG/seq010/sh010/lighting/v002")
