"""`validate reconcile`: tracker vs storage vs manifests, on real adapters."""

from __future__ import annotations

from pathlib import Path

import pytest

from onepiece.domain.entities import ShotSpec, Version
from onepiece.services.reconcile.service import count_differences, reconcile
from tests.integration.delivery_world import PROJECT, World, make_world


@pytest.fixture(params=["local", "s3"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> World:
    url = request.getfixturevalue("s3_endpoint_url") if request.param == "s3" else None
    return make_world(tmp_path, request.param, url)


def kinds(world: World, **options: object) -> set[tuple[str, str]]:
    differences = reconcile(
        world.services.tracker, world.services.storage, world.settings, PROJECT, **options
    )  # type: ignore[arg-type]
    return {(d.kind, d.subject) for d in differences}


def test_agreeing_tracker_and_storage_have_no_differences(world: World) -> None:
    world.add_clip("FG_ep010_sc02_0010_comp_v004", b"a" * 10)
    world.add_sequence("FG_ep010_sc02_0020_comp_v001", {1: b"x", 2: b"y"})
    assert kinds(world) == set()
    assert (
        count_differences(world.services.tracker, world.services.storage, world.settings, PROJECT)
        == 0
    )


def test_missing_unknown_and_mismatched_files_are_reported(world: World) -> None:
    world.add_clip("FG_ep010_sc02_0010_comp_v004", b"a" * 10)
    world.add_clip("FG_ep010_sc02_0010_comp_v005", b"b" * 10, checksum="xxh3:" + "4" * 16)
    gone = world.add_clip("FG_ep010_sc02_0010_comp_v006", b"c" * 10)
    world.services.storage.delete(world.media_bucket, f"{PROJECT}/ep010/0010/{gone.code}.mov")
    world.put(f"{PROJECT}/ep010/0010/stray.mov", b"stray")
    manifest = world.tmp / "vendor.csv"
    manifest.write_text(
        f"delivery_path,checksum\nFG_ep010_sc02_0010_comp_v004.mov,md5:{'0' * 32}\n"
    )

    found = kinds(world, manifests=[manifest])

    assert found == {
        ("checksum_mismatch", "FG_ep010_sc02_0010_comp_v005"),
        ("missing_from_storage", "FG_ep010_sc02_0010_comp_v006"),
        ("unknown_to_tracker", "stray.mov"),
    }
    assert (
        count_differences(world.services.tracker, world.services.storage, world.settings, PROJECT)
        == 3
    )


def test_manifest_checksums_are_compared_with_storage(world: World) -> None:
    world.add_clip("FG_ep010_sc02_0010_comp_v004", b"a" * 10)
    manifest = world.tmp / "vendor.json"
    manifest.write_text(
        '{"files": [{"delivery_path": "FG_ep010_sc02_0010_comp_v004.mov", "checksum": "xxh3:'
        + "5" * 16
        + '"}, {"delivery_path": "never_sent.mov"}]}'
    )
    assert kinds(world, manifests=[manifest]) == {
        ("manifest_mismatch", "FG_ep010_sc02_0010_comp_v004.mov")
    }


def test_shot_scope_reports_shots_without_media_and_unknown_shot_folders(world: World) -> None:
    world.services.tracker.ensure_hierarchy(
        PROJECT, [ShotSpec("ep010", "sc02", "0010"), ShotSpec("ep010", "sc02", "0099")]
    )
    # Keys follow {show}/{episode}/{scene}/{shot}/... as ingest lays them out.
    uri = world.put(f"{PROJECT}/ep010/sc02/0010/comp/v001/FG_ep010_sc02_0010_comp_v001.mov", b"a")
    world.services.tracker.create_versions(
        [Version(PROJECT, "FG_ep010_sc02_0010_comp_v001", shot="0010", path=uri)]
    )
    world.put(f"{PROJECT}/ep010/sc02/0555/comp/v001/b.mov", b"b")
    assert kinds(world, scope="shots") == {
        ("shot_without_media", "0099"),
        ("shot_unknown_to_tracker", "0555"),
    }


def replace_stored(world: World, key: str, data: bytes, *, keep_metadata: bool) -> None:
    """Change stored bytes behind OnePiece's back, as a hand copy or another tool would.

    On S3 the object's metadata (its recorded checksum) is kept or dropped;
    on local storage the file is rewritten in place, leaving its sidecar.
    """
    storage = world.services.storage
    if world.settings.storage.backend == "local":
        (world.settings.storage_root / world.media_bucket / key).write_bytes(data)
        return
    metadata = storage.head(world.media_bucket, key).metadata if keep_metadata else {}
    storage.client.put_object(  # type: ignore[attr-defined]
        Bucket=world.media_bucket, Key=key, Body=data, Metadata=metadata
    )


def differences(world: World, **options: object) -> dict[str, tuple[str, str]]:
    found = reconcile(
        world.services.tracker, world.services.storage, world.settings, PROJECT, **options
    )  # type: ignore[arg-type]
    return {d.subject: (d.kind, d.detail) for d in found}


def test_changed_stored_bytes_are_reported_as_mismatch(world: World) -> None:
    """Issue 14.3: sizes always compared; --verify re-hashes; never "missing"."""
    clip = "FG/ep010/0010/{}.mov"
    world.add_clip("FG_ep010_sc02_0010_comp_v001", b"a" * 100)
    world.add_clip("FG_ep010_sc02_0010_comp_v002", b"b" * 100)
    world.add_clip("FG_ep010_sc02_0010_comp_v003", b"c" * 100)
    world.add_clip("FG_ep010_sc02_0010_comp_v007", b"d" * 100)
    world.add_clip("FG_ep010_sc02_0010_comp_v008", b"e" * 100)
    world.add_sequence("FG_ep010_sc02_0020_comp_v001", {1: b"x" * 30, 2: b"y" * 30})
    # Other bytes, other size: metadata kept, and metadata dropped.
    replace_stored(
        world, clip.format("FG_ep010_sc02_0010_comp_v001"), b"A" * 90, keep_metadata=True
    )
    replace_stored(
        world, clip.format("FG_ep010_sc02_0010_comp_v002"), b"B" * 120, keep_metadata=False
    )
    # Other bytes, same size: metadata kept, and dropped; and one frame of a sequence.
    replace_stored(
        world, clip.format("FG_ep010_sc02_0010_comp_v003"), b"C" * 100, keep_metadata=True
    )
    replace_stored(
        world, clip.format("FG_ep010_sc02_0010_comp_v007"), b"D" * 100, keep_metadata=False
    )
    replace_stored(
        world, "FG/ep010/0020/FG_ep010_sc02_0020_comp_v001.0002.exr", b"Y" * 30, keep_metadata=True
    )

    cheap = differences(world)
    assert cheap["FG_ep010_sc02_0010_comp_v001"][0] == "mismatch"
    assert cheap["FG_ep010_sc02_0010_comp_v002"][0] == "mismatch"
    assert "size 90" in cheap["FG_ep010_sc02_0010_comp_v001"][1]
    assert "FG_ep010_sc02_0010_comp_v008" not in cheap
    if world.settings.storage.backend == "local":
        # The sidecar no longer describes the file: changed, not missing.
        assert cheap["FG_ep010_sc02_0010_comp_v003"][0] == "mismatch"
    assert {kind for kind, _ in cheap.values()} <= {"mismatch"}

    seen: list[int] = []
    verified = differences(world, verify=True, progress=seen.append)
    assert {subject: kind for subject, (kind, _) in verified.items()} == {
        "FG_ep010_sc02_0010_comp_v001": "mismatch",
        "FG_ep010_sc02_0010_comp_v002": "mismatch",
        "FG_ep010_sc02_0010_comp_v003": "mismatch",
        "FG_ep010_sc02_0010_comp_v007": "mismatch",
        "FG_ep010_sc02_0020_comp_v001": "mismatch",
    }
    assert sum(seen) > 0


def test_stray_files_in_a_version_folder_are_reported(world: World) -> None:
    """Issue 14.3: a file dropped next to a Version's media by hand is reported."""
    world.add_clip("FG_ep010_sc02_0010_comp_v004", b"a" * 10)
    if world.settings.storage.backend == "local":
        folder = world.settings.storage_root / world.media_bucket / "FG/ep010/0010"
        (folder / "dropped_by_hand.mov").write_bytes(b"stray")
    else:
        world.services.storage.client.put_object(  # type: ignore[attr-defined]
            Bucket=world.media_bucket, Key="FG/ep010/0010/dropped_by_hand.mov", Body=b"stray"
        )
    assert kinds(world) == {("unexpected", "dropped_by_hand.mov")}
