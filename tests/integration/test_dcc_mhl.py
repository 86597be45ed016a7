"""``dcc publish`` continues the renders' own ASC MHL history, and deliveries continue the
publish's: the reference tool verifies each step."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from onepiece.bootstrap import Container, bootstrap
from onepiece.config import Settings
from onepiece.errors import IntegrityError
from onepiece.services.dcc.publish import publish
from onepiece.services.delivery.deliver import DeliveryRequest, deliver
from tests.ascmhl_tool import tool
from tests.integration.test_dcc import SCENE, request_for, write_inputs
from tests.integration.test_mhl_custody import assert_reference_tool_accepts


@pytest.fixture
def services(tmp_path: Path) -> Container:
    services = bootstrap(
        Settings(data_dir=tmp_path / "data", delivery={"client_out_bucket": "client-out"})  # type: ignore[arg-type]
    )
    yield services
    services.close()


def render_history(renders: Path) -> dict[str, bytes]:
    for algorithm in ("xxh128", "c4"):
        created = tool("ascmhl", "create", renders, "-h", algorithm)
        assert created.returncode == 0, created.stdout + created.stderr
    return {p.name: p.read_bytes() for p in (renders / "ascmhl").iterdir()}


def test_a_publish_continues_the_renders_history_and_a_delivery_continues_the_publish(
    services: Container, tmp_path: Path
) -> None:
    inputs = write_inputs(tmp_path / "in")
    vendor = render_history(inputs["renders"])

    result = publish(services, request_for(tmp_path, inputs))

    assert not any("ascmhl" in f["path"] for f in result.files)  # never a render file
    published = {p.name: p.read_bytes() for p in (result.package / "ascmhl").iterdir()}
    assert_reference_tool_accepts(result.package, vendor, renamed=f"{SCENE}.1001.exr")

    services.tracker.update_versions("FG", {SCENE: {"status": "apr"}})
    delivered = deliver(services, DeliveryRequest("FG", "client_out", tmp_path / "FG_client.zip"))
    unpacked = tmp_path / "unpacked"
    with zipfile.ZipFile(delivered.record.zip_path or "") as archive:
        archive.extractall(unpacked)
    assert_reference_tool_accepts(
        unpacked / delivered.record.package, published, renamed=f"previews/{SCENE}.mov"
    )


def test_a_render_altered_after_its_history_was_written_is_not_published(
    services: Container, tmp_path: Path
) -> None:
    inputs = write_inputs(tmp_path / "in")
    render_history(inputs["renders"])
    (inputs["renders"] / f"{SCENE}.1002.exr").write_bytes(b"frame 1OO2")  # same size

    with pytest.raises(IntegrityError, match=f"{SCENE}.1002.exr does not match the renders' MHL"):
        publish(services, request_for(tmp_path, inputs))
    assert not (tmp_path / "publish" / SCENE).exists()


def test_a_broken_renders_chain_is_an_integrity_error(services: Container, tmp_path: Path) -> None:
    inputs = write_inputs(tmp_path / "in")
    render_history(inputs["renders"])
    first = sorted((inputs["renders"] / "ascmhl").glob("0001_*.mhl"))[0]
    first.write_text(first.read_text().replace("<hostname>", "<hostname>x"))

    for dry_run in (True, False):  # refused before anything is written
        with pytest.raises(IntegrityError, match="broken chain"):
            publish(services, request_for(tmp_path, inputs, dry_run=dry_run))
    assert not (tmp_path / "publish").exists()
    assert not (services.settings.storage_root / "publishes").exists()  # no bucket made
