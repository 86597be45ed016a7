"""`deliver` on the real local tracker and real storage (local folders and loopback S3)."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import xxhash

from onepiece.errors import NothingToDo, ValidationError
from onepiece.services.delivery.deliver import DeliveryRequest, deliver
from tests.integration.delivery_world import PROJECT, World, make_world


@pytest.fixture(params=["local", "s3"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    url = request.getfixturevalue("s3_endpoint_url") if request.param == "s3" else None
    built = make_world(tmp_path, request.param, url)
    yield built
    built.services.close()


def request_for(world: World, **changes: object) -> DeliveryRequest:
    fields: dict[str, object] = {
        "project": PROJECT,
        "context": "client_out",
        "output": world.tmp / "out" / "FG_client.zip",
    }
    fields.update(changes)
    return DeliveryRequest(**fields)  # type: ignore[arg-type]


def read_back(path: Path) -> tuple[dict[str, bytes], dict[str, object]]:
    """Every member's bytes, and the JSON manifest inside the ZIP."""
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        for info in archive.infolist():
            assert info.compress_type == zipfile.ZIP_STORED
        members = {name: archive.read(name) for name in archive.namelist()}
    manifest_name = next(n for n in members if n.endswith("/manifest.json"))
    return members, json.loads(members[manifest_name])


def test_delivered_zip_members_match_the_manifest_checksums(world: World) -> None:
    world.add_clip("FG_ep010_sc02_0010_comp_v004", b"clip-a" * 1000)
    world.add_clip("FG_ep020_sc01_0030_comp_v001", b"clip-b" * 700, episode="ep020")
    world.add_sequence("FG_ep010_sc02_0020_comp_v002", {1001: b"f1" * 50, 1002: b"f2" * 60})
    world.add_clip("FG_ep010_sc02_0010_comp_v005", b"not yet", status="rev")
    prefix = world.tmp / "manifests" / "FG_client"

    result = deliver(world.services, request_for(world, manifest_prefix=prefix))

    members, manifest = read_back(Path(result.record.zip_path or ""))
    entries = manifest["entries"]
    assert isinstance(entries, list) and len(entries) == 4
    for entry in entries:
        data = members[entry["name"]]
        assert entry["checksum"] == "xxh3:" + xxhash.xxh3_64(data).hexdigest()
        assert entry["size"] == len(data)
    frames = [e["name"] for e in entries if e["frame"] is not None]
    assert frames == [
        "FG_client/ep010/sc02/0020/FG_ep010_sc02_0020_comp_v002/FG_ep010_sc02_0020_comp_v002.1001.exr",
        "FG_client/ep010/sc02/0020/FG_ep010_sc02_0020_comp_v002/FG_ep010_sc02_0020_comp_v002.1002.exr",
    ]
    assert not any("v005" in e["name"] for e in entries)
    csv_rows = list(csv.DictReader(io.StringIO(members["FG_client/manifest.csv"].decode())))
    assert {r["name"] for r in csv_rows} == {e["name"] for e in entries}
    assert json.loads((prefix.parent / "FG_client.json").read_text())["entries"] == entries
    assert (prefix.parent / "FG_client.csv").read_text().startswith("name,version,")

    record = world.services.deliveries.get(PROJECT, result.record.id)
    assert record.entry_count == 4 and record.total_bytes == sum(e["size"] for e in entries)
    bucket = world.settings.delivery.client_out_bucket
    listed = {o.key for o in world.services.storage.list(bucket)}
    assert listed == {
        f"FG/{record.id}/FG_client.zip",
        f"FG/{record.id}/manifest.json",
        f"FG/{record.id}/manifest.csv",
    }
    uploaded = world.services.storage.head(bucket, f"FG/{record.id}/FG_client.zip")
    assert uploaded.size == Path(result.record.zip_path or "").stat().st_size


def test_episode_filter_limits_the_delivery(world: World) -> None:
    world.add_clip("FG_ep010_sc02_0010_comp_v004", b"a" * 10)
    world.add_clip("FG_ep020_sc01_0030_comp_v001", b"b" * 10, episode="ep020")
    result = deliver(world.services, request_for(world, episodes=("ep020",)))
    assert [e.version for e in result.entries] == ["FG_ep020_sc01_0030_comp_v001"]


def test_mismatched_and_missing_media_are_reported_and_left_out(world: World) -> None:
    world.add_clip("FG_ep010_sc02_0010_comp_v004", b"good" * 100)
    world.add_clip("FG_ep010_sc02_0010_comp_v006", b"bad" * 100, checksum="xxh3:" + "1" * 16)
    world.add_clip("FG_ep010_sc02_0010_comp_v007", b"gone" * 100)
    gone = world.services.tracker.find_version(PROJECT, "FG_ep010_sc02_0010_comp_v007")
    assert gone is not None and gone.path
    world.services.storage.delete(world.media_bucket, gone.path.split(world.media_bucket + "/")[1])

    result = deliver(world.services, request_for(world))

    members, manifest = read_back(Path(result.record.zip_path or ""))
    assert [e["version"] for e in manifest["entries"]] == ["FG_ep010_sc02_0010_comp_v004"]
    assert {(p.version, p.kind) for p in result.problems} == {
        ("FG_ep010_sc02_0010_comp_v006", "checksum_mismatch"),
        ("FG_ep010_sc02_0010_comp_v007", "missing_media"),
    }
    assert not any("v006" in name or "v007" in name for name in members)


def test_upstream_manifest_data_wins_and_zip_slip_names_are_refused(world: World) -> None:
    world.add_clip("FG_ep010_sc02_0010_comp_v004", b"a" * 10)
    world.add_clip("FG_ep010_sc02_0010_comp_v008", b"b" * 10)
    upstream = world.tmp / "upstream.csv"
    upstream.write_text(
        "delivery_path,checksum\n"
        "vendor/FG_ep010_sc02_0010_comp_v004.mov,\n"
        "../../FG_ep010_sc02_0010_comp_v008.mov,\n"
    )
    result = deliver(world.services, request_for(world, upstream_manifest=upstream))
    assert [e.name for e in result.entries] == ["FG_client/vendor/FG_ep010_sc02_0010_comp_v004.mov"]
    assert [(p.version, p.kind) for p in result.problems] == [
        ("FG_ep010_sc02_0010_comp_v008", "unsafe_name")
    ]


def test_nothing_approved_means_nothing_to_deliver(world: World) -> None:
    world.add_clip("FG_ep010_sc02_0010_comp_v004", b"a" * 10, status="rev")
    with pytest.raises(NothingToDo, match="nothing to deliver"):
        deliver(world.services, request_for(world))
    assert not (world.tmp / "out").exists()


def test_every_entry_failing_writes_no_zip_and_says_nothing_to_deliver(world: World) -> None:
    world.add_clip("FG_ep010_sc02_0010_comp_v004", b"a" * 10, checksum="xxh3:" + "2" * 16)
    output = world.tmp / "out" / "FG_client.zip"
    with pytest.raises(NothingToDo):
        deliver(world.services, request_for(world, output=output))
    assert not output.exists()
    assert list(output.parent.iterdir()) == []


def test_existing_output_is_refused_unless_overwrite(world: World) -> None:
    world.add_clip("FG_ep010_sc02_0010_comp_v004", b"a" * 10)
    output = world.tmp / "FG_client.zip"
    output.write_bytes(b"old")
    with pytest.raises(ValidationError, match="already exists"):
        deliver(world.services, request_for(world, output=output))
    assert output.read_bytes() == b"old"
    deliver(world.services, request_for(world, output=output, overwrite=True))
    assert zipfile.is_zipfile(output)


def test_dry_run_plans_without_writing(world: World) -> None:
    world.add_clip("FG_ep010_sc02_0010_comp_v004", b"a" * 10)
    result = deliver(world.services, request_for(world, dry_run=True))
    assert [p.version for p in result.planned] == ["FG_ep010_sc02_0010_comp_v004"]
    assert not (world.tmp / "out").exists()
    assert not world.settings.state_db_path.exists()  # nothing recorded


def test_output_inside_the_local_storage_tree_is_refused(tmp_path: Path) -> None:
    world = make_world(tmp_path, "local")
    world.add_clip("FG_ep010_sc02_0010_comp_v004", b"a" * 10)
    inside = world.settings.storage_root / world.media_bucket / "sneaky.zip"
    with pytest.raises(ValidationError, match="inside the source tree"):
        deliver(world.services, request_for(world, output=inside))
    assert not inside.exists()


def partial_versions(world: World) -> None:
    """v004 complete; v002 lost a middle frame; v003's last stored frame was changed."""
    world.add_clip("FG_ep010_sc02_0010_comp_v004", b"clip" * 100)
    frames = {1001: b"f1" * 50, 1002: b"f2" * 60, 1003: b"f3" * 70}
    world.add_sequence("FG_ep010_sc02_0020_comp_v002", frames)
    world.add_sequence("FG_ep010_sc02_0020_comp_v003", frames)
    world.services.storage.delete(
        world.media_bucket, f"{PROJECT}/ep010/0020/FG_ep010_sc02_0020_comp_v002.1002.exr"
    )
    world.put(f"{PROJECT}/ep010/0020/FG_ep010_sc02_0020_comp_v003.1003.exr", b"other" * 14)


def test_a_version_is_delivered_whole_or_not_at_all(world: World) -> None:
    """Issue 14.2: no frame of an incomplete or unverified sequence goes out."""
    partial_versions(world)
    prefix = world.tmp / "manifests" / "FG_client"

    planned = deliver(world.services, request_for(world, dry_run=True))
    # A dry run reads no media: it sees v002 incomplete, not v003 changed.
    assert {p.version for p in planned.planned} == {
        "FG_ep010_sc02_0010_comp_v004",
        "FG_ep010_sc02_0020_comp_v003",
    }
    result = deliver(world.services, request_for(world, manifest_prefix=prefix))

    members, manifest = read_back(Path(result.record.zip_path or ""))
    # Manifests and the ASC MHL history (docs/mhl.md) go with every delivery.
    media = [
        name
        for name in members
        if not name.endswith(("manifest.json", "manifest.csv")) and "/ascmhl/" not in name
    ]
    assert media == [
        "FG_client/ep010/sc02/0010/FG_ep010_sc02_0010_comp_v004/FG_ep010_sc02_0010_comp_v004.mov"
    ]
    assert [e["version"] for e in manifest["entries"]] == ["FG_ep010_sc02_0010_comp_v004"]
    on_disk = json.loads((prefix.parent / "FG_client.json").read_text())
    assert on_disk["entries"] == manifest["entries"]
    assert "v002" not in (prefix.parent / "FG_client.csv").read_text()
    kinds = {(p.version, p.kind) for p in result.problems}
    assert kinds == {
        ("FG_ep010_sc02_0020_comp_v002", "missing_media"),
        ("FG_ep010_sc02_0020_comp_v003", "checksum_mismatch"),
    }
    record = world.services.deliveries.get(PROJECT, result.record.id)
    assert record.versions == ["FG_ep010_sc02_0010_comp_v004"]
    assert record.entry_count == 1 and record.total_bytes == 400
