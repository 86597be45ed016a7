"""`validate reconcile`: tracker vs storage vs manifests, on real adapters."""

from __future__ import annotations

from pathlib import Path

import pytest

from onepiece.domain.entities import ShotSpec, Version
from onepiece.services.reconcile import count_differences, reconcile
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
