"""The chain of custody: a vendor's ASC MHL history travels with its media to the client.

The vendor writes its history with the ASC's reference tool; OnePiece ingests
the delivery (local storage or S3 on loopback), and ``shotgrid deliver`` and
``package-playlist`` copy the vendor's generations unchanged and add theirs
on top. The reference tool, with no code of ours, verifies the result.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from onepiece.errors import IntegrityError
from onepiece.samples import SampleDelivery
from onepiece.services.delivery.deliver import DeliveryRequest, deliver
from onepiece.services.delivery.playlist_package import PackageRequest, package_playlist
from onepiece.services.ingest.options import IngestOptions
from onepiece.services.ingest.service import run_ingest
from onepiece.services.mhl import verify as mhl_verify
from onepiece.services.mhl.custody import CUSTODY_FOLDER
from onepiece.services.review.versions import create_playlist
from tests.ascmhl_tool import XSD, tool
from tests.ingest_support import CLIP, SEQUENCE
from tests.integration.delivery_world import PROJECT, World, make_world

NOT_APPROVED = "FG_ep010_sc02_0030_comp_v003"


def vendor_history(folder: Path) -> dict[str, bytes]:
    """Two generations from the reference tool (xxh64, then md5): their bytes by name."""
    for algorithm in ("xxh64", "md5"):
        created = tool("ascmhl", "create", folder, "-h", algorithm)
        assert created.returncode == 0, created.stdout + created.stderr
    return {p.name: p.read_bytes() for p in (folder / "ascmhl").iterdir()}


def ingest_and_approve(world: World, delivery: SampleDelivery) -> None:
    options = IngestOptions(
        folder=delivery.folder, project=PROJECT, show="FG", bucket=world.media_bucket
    )
    result = run_ingest(options, world.services)
    assert result.error is None, result.summary()
    codes = {v.code for v in result.plan.versions} - {NOT_APPROVED}
    world.services.tracker.update_versions(PROJECT, {code: {"status": "apr"} for code in codes})


def assert_reference_tool_accepts(
    folder: Path, vendor: dict[str, bytes], renamed: str = CLIP
) -> None:
    """``vendor``'s generations unchanged, ours on top (``renamed`` moved), and the tool agrees."""
    history = folder / "ascmhl"
    theirs = sorted(name for name in vendor if name.endswith(".mhl"))
    for name in theirs:
        assert (history / name).read_bytes() == vendor[name], name
    generations = sorted(history.glob("*.mhl"))
    assert [g.name for g in generations[:-1]] == theirs
    assert generations[-1].name.startswith(f"{len(theirs) + 1:04d}_")
    ours = generations[-1].read_text()
    assert ">onepiece</tool>" in ours and f"<previousPath>{renamed}</previousPath>" in ours
    root, source = mhl_verify.plan(folder)  # and `onepiece validate mhl` agrees
    assert mhl_verify.verify(root, source).differences == []
    checks = [
        tool("ascmhl-debug", "xsd-schema-check", g, "-xsd", XSD / "ASCMHL.xsd") for g in generations
    ]
    checks += [
        tool(
            "ascmhl-debug",
            "xsd-schema-check",
            "-df",
            history / "ascmhl_chain.xml",
            "-xsd",
            XSD / "ASCMHLDirectory.xsd",
        ),
        tool("ascmhl-debug", "verify", folder),
        tool("ascmhl", "info", folder),
        tool("ascmhl", "create", folder),  # a fourth generation, every file checked
    ]
    for check in checks:
        assert check.returncode == 0, [*check.args, check.stdout, check.stderr]
        assert "ERROR" not in check.stdout + check.stderr, check.stdout + check.stderr


@pytest.mark.parametrize("backend", ["local", "s3"])
def test_deliveries_continue_the_vendors_history(
    tmp_path: Path, clean_delivery: SampleDelivery, backend: str, request: pytest.FixtureRequest
) -> None:
    endpoint = request.getfixturevalue("s3_endpoint_url") if backend == "s3" else None
    world = make_world(tmp_path, backend, endpoint)
    vendor = vendor_history(clean_delivery.folder)
    ingest_and_approve(world, clean_delivery)
    kept = [i.key for i in world.services.storage.list(world.media_bucket, f"{CUSTODY_FOLDER}/")]
    assert sorted(k.rsplit("/", 1)[-1] for k in kept) == sorted(vendor)  # kept once, whole

    result = deliver(
        world.services,
        DeliveryRequest(project=PROJECT, context="client_out", output=tmp_path / "FG_client.zip"),
    )
    unpacked = tmp_path / "unpacked"
    with zipfile.ZipFile(result.record.zip_path or "") as archive:
        archive.extractall(unpacked)
    package = unpacked / result.record.package
    assert not any(NOT_APPROVED in p.name for p in package.rglob("*.mov"))
    assert_reference_tool_accepts(package, vendor)

    create_playlist(
        world.services.tracker, PROJECT, "dailies", None, [CLIP.removesuffix(".mov"), SEQUENCE]
    )
    outbox = tmp_path / "outbox"
    package_playlist(world.services, PackageRequest(PROJECT, "dailies", outbox, "vendor"))
    world.services.close()
    assert_reference_tool_accepts(outbox / "FG_dailies_vendor", vendor)


def test_a_vendor_history_altered_in_storage_stops_the_delivery(
    tmp_path: Path, clean_delivery: SampleDelivery
) -> None:
    world = make_world(tmp_path, "local")
    vendor_history(clean_delivery.folder)
    ingest_and_approve(world, clean_delivery)
    storage, bucket = world.services.storage, world.media_bucket
    first = next(
        i.key for i in storage.list(bucket, f"{CUSTODY_FOLDER}/") if i.key.endswith(".mhl")
    )
    storage.put_bytes(
        bucket, first, storage.get_bytes(bucket, first).replace(b"<hostname>", b"<hostname>x")
    )
    output = tmp_path / "FG_client.zip"

    with pytest.raises(IntegrityError, match="broken chain"):
        deliver(world.services, DeliveryRequest(PROJECT, "client_out", output))
    world.services.close()
    assert not output.exists()  # stopped before any media was read


def test_a_cards_own_history_is_continued_from_the_card_folder(
    tmp_path: Path, clean_delivery: SampleDelivery
) -> None:
    world = make_world(tmp_path, "local")
    plates = clean_delivery.folder / "plates"
    for clip in clean_delivery.folder.glob("*.mov"):  # a delivery of one card
        clip.unlink()
    created = tool("ascmhl", "create", plates, "-h", "xxh128")  # the card's own history only
    assert created.returncode == 0, created.stdout + created.stderr
    vendor = {p.name: p.read_bytes() for p in (plates / "ascmhl").iterdir()}
    options = IngestOptions(
        folder=clean_delivery.folder, project=PROJECT, show="FG", bucket=world.media_bucket
    )
    assert run_ingest(options, world.services).error is None
    create_playlist(world.services.tracker, PROJECT, "plates", None, [SEQUENCE])

    package_playlist(world.services, PackageRequest(PROJECT, "plates", tmp_path / "out"))
    world.services.close()

    assert_reference_tool_accepts(
        tmp_path / "out" / "FG_plates_client", vendor, renamed=f"{SEQUENCE}.1001.exr"
    )


def test_media_from_two_vendor_histories_continue_the_larger_one(
    tmp_path: Path, clean_delivery: SampleDelivery, caplog: pytest.LogCaptureFixture
) -> None:
    world = make_world(tmp_path, "local")
    vendor = vendor_history(clean_delivery.folder)
    ingest_and_approve(world, clean_delivery)
    second = tmp_path / "second"
    second.mkdir()
    (second / "FG_ep010_sc02_0040_comp_v001.mov").write_bytes(b"another vendor" * 100)
    created = tool("ascmhl", "create", second, "-h", "md5")
    assert created.returncode == 0, created.stdout + created.stderr
    ingest_and_approve(world, SampleDelivery(second))

    result = deliver(world.services, DeliveryRequest(PROJECT, "client_out", tmp_path / "o.zip"))
    world.services.close()

    unpacked = tmp_path / "unpacked"
    with zipfile.ZipFile(result.record.zip_path or "") as archive:
        archive.extractall(unpacked)
    assert_reference_tool_accepts(unpacked / result.record.package, vendor)
    assert "1 file(s) came with another vendor MHL history" in caplog.text


def test_a_later_state_of_the_same_history_continues_for_media_of_both(
    tmp_path: Path, clean_delivery: SampleDelivery, caplog: pytest.LogCaptureFixture
) -> None:
    world = make_world(tmp_path, "local")
    vendor_history(clean_delivery.folder)
    ingest_and_approve(world, clean_delivery)
    added = clean_delivery.folder / "FG_ep010_sc02_0040_comp_v001.mov"
    added.write_bytes(b"a later delivery" * 100)
    third = tool("ascmhl", "create", clean_delivery.folder, "-h", "xxh64")
    assert third.returncode == 0, third.stdout + third.stderr
    vendor = {p.name: p.read_bytes() for p in (clean_delivery.folder / "ascmhl").iterdir()}
    ingest_and_approve(world, clean_delivery)  # the earlier Versions keep the earlier state

    result = deliver(world.services, DeliveryRequest(PROJECT, "client_out", tmp_path / "o.zip"))
    world.services.close()

    unpacked = tmp_path / "unpacked"
    with zipfile.ZipFile(result.record.zip_path or "") as archive:
        archive.extractall(unpacked)
    package = unpacked / result.record.package
    assert (
        f"<previousPath>{added.name}</previousPath>"
        in next((package / "ascmhl").glob("0004_*.mhl")).read_text()
    )
    assert_reference_tool_accepts(package, vendor)
    assert "another vendor MHL history" not in caplog.text
