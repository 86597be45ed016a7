"""`package-playlist`: a verified MediaShuttle-ready folder from a playlist."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import xxhash

from onepiece.errors import NothingToDo, ValidationError
from onepiece.services.delivery.playlist_package import PackageRequest, package_playlist
from onepiece.services.review.versions import create_playlist
from tests.integration.delivery_world import PROJECT, World, make_world
from tests.integration.test_delivery import partial_versions


@pytest.mark.parametrize("backend", ["local", "s3"])
def test_playlist_folder_holds_verified_files_and_a_manifest(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = request.getfixturevalue("s3_endpoint_url") if backend == "s3" else None
    world = make_world(tmp_path, backend, url)
    world.add_clip("FG_ep010_sc02_0010_comp_v004", b"a" * 100)
    world.add_clip("FG_ep010_sc02_0010_comp_v009", b"b" * 100, checksum="xxh3:" + "3" * 16)
    create_playlist(
        world.services.tracker,
        PROJECT,
        "dailies",
        None,
        ["FG_ep010_sc02_0010_comp_v004", "FG_ep010_sc02_0010_comp_v009"],
    )
    destination = tmp_path / "outbox"
    result = package_playlist(
        world.services, PackageRequest(PROJECT, "dailies", destination, "vendor")
    )

    folder = destination / "FG_dailies_vendor"
    manifest = json.loads((folder / "manifest.json").read_text())
    assert [e["version"] for e in manifest["entries"]] == ["FG_ep010_sc02_0010_comp_v004"]
    for entry in manifest["entries"]:
        data = (destination / entry["name"]).read_bytes()
        assert entry["checksum"] == "xxh3:" + xxhash.xxh3_64(data).hexdigest()
    assert [p.kind for p in result.problems] == ["checksum_mismatch"]
    assert not list(folder.rglob("*v009*"))
    assert not [p for p in destination.iterdir() if p.name.startswith(".")]
    if backend == "local":
        # Same filesystem as the storage root, yet never a hard link to the
        # master unless asked for (issue 14.4; test_delivered_media_never_shares...).
        packaged = destination / manifest["entries"][0]["name"]
        assert os.stat(packaged).st_nlink == 1

    with pytest.raises(ValidationError, match="already exists"):
        package_playlist(world.services, PackageRequest(PROJECT, "dailies", destination, "vendor"))
    world.services.close()


def test_empty_playlist_and_destination_in_storage_are_refused(tmp_path: Path) -> None:
    world = make_world(tmp_path, "local")
    world.add_clip("FG_ep010_sc02_0010_comp_v004", b"a" * 100)
    create_playlist(world.services.tracker, PROJECT, "empty", None)
    with pytest.raises(NothingToDo):
        package_playlist(world.services, PackageRequest(PROJECT, "empty", tmp_path / "o"))
    create_playlist(world.services.tracker, PROJECT, "one", None, ["FG_ep010_sc02_0010_comp_v004"])
    inside = world.settings.storage_root / "pkg"
    with pytest.raises(ValidationError, match="inside the storage root"):
        package_playlist(world.services, PackageRequest(PROJECT, "one", inside))
    world.services.close()


def _master(world: World, code: str) -> Path:
    version = world.services.tracker.find_version(PROJECT, code)
    assert version is not None and version.path
    return _master_for(world, version.path)


def test_delivered_media_never_shares_an_inode_with_a_writable_master(tmp_path: Path) -> None:
    """Issue 14.4: editing a packaged file must not edit the stored master."""
    world = make_world(tmp_path, "local")
    world.add_clip("FG_ep010_sc02_0010_comp_v004", b"master" * 100)
    world.add_sequence("FG_ep010_sc02_0020_comp_v002", {1001: b"f1" * 50, 1002: b"f2" * 60})
    codes = ["FG_ep010_sc02_0010_comp_v004", "FG_ep010_sc02_0020_comp_v002"]
    create_playlist(world.services.tracker, PROJECT, "dailies", None, codes)
    masters = [
        p
        for p in (world.settings.storage_root / world.media_bucket).rglob("*")
        if p.is_file() and not p.name.startswith(".")
    ]
    before = {p: p.read_bytes() for p in masters}

    for link in (False, True):  # --link with a writable master still copies
        out = tmp_path / f"outbox-{link}"
        result = package_playlist(
            world.services, PackageRequest(PROJECT, "dailies", out, link=link)
        )
        assert len(result.entries) == 3
        for entry in result.entries:
            packaged = out / entry.name
            master = _master_for(world, entry.source)
            assert not os.path.samefile(packaged, master)
            assert os.stat(packaged).st_nlink == 1
            packaged.write_bytes(b"edited by the recipient")
    assert {p: p.read_bytes() for p in masters} == before
    world.services.close()


def test_link_hard_links_only_read_only_masters(tmp_path: Path) -> None:
    world = make_world(tmp_path, "local")
    world.add_clip("FG_ep010_sc02_0010_comp_v004", b"master" * 100)
    create_playlist(world.services.tracker, PROJECT, "d", None, ["FG_ep010_sc02_0010_comp_v004"])
    master = _master(world, "FG_ep010_sc02_0010_comp_v004")
    master.chmod(0o444)

    linked = package_playlist(
        world.services, PackageRequest(PROJECT, "d", tmp_path / "a", link=True)
    )
    assert os.path.samefile(tmp_path / "a" / linked.entries[0].name, master)
    copied = package_playlist(world.services, PackageRequest(PROJECT, "d", tmp_path / "b"))
    assert not os.path.samefile(tmp_path / "b" / copied.entries[0].name, master)
    world.services.close()


def _master_for(world: World, uri: str) -> Path:
    key = uri.split(world.media_bucket + "/", 1)[1]
    return world.settings.storage_root / world.media_bucket / key


@pytest.mark.parametrize("backend", ["local", "s3"])
def test_playlist_package_holds_whole_versions_only(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Issue 14.2: no frame of an incomplete or unverified sequence is packaged."""
    url = request.getfixturevalue("s3_endpoint_url") if backend == "s3" else None
    world = make_world(tmp_path, backend, url)
    partial_versions(world)
    codes = [
        "FG_ep010_sc02_0010_comp_v004",
        "FG_ep010_sc02_0020_comp_v002",
        "FG_ep010_sc02_0020_comp_v003",
    ]
    create_playlist(world.services.tracker, PROJECT, "dailies", None, codes)
    destination = tmp_path / "outbox"

    planned = package_playlist(
        world.services, PackageRequest(PROJECT, "dailies", destination, dry_run=True)
    )
    assert not {e.version for e in planned.entries} & {"FG_ep010_sc02_0020_comp_v002"}
    result = package_playlist(world.services, PackageRequest(PROJECT, "dailies", destination))

    # The ASC MHL history (docs/mhl.md) goes with every package.
    files = sorted(
        p.name for p in result.folder.rglob("*") if p.is_file() and "ascmhl" not in p.parts
    )
    assert files == ["FG_ep010_sc02_0010_comp_v004.mov", "manifest.csv", "manifest.json"]
    assert not list(result.folder.rglob("*0020*"))
    manifest = json.loads((result.folder / "manifest.json").read_text())
    assert [e["version"] for e in manifest["entries"]] == ["FG_ep010_sc02_0010_comp_v004"]
    assert manifest["delivery"]["versions"] == ["FG_ep010_sc02_0010_comp_v004"]
    assert {(p.version, p.kind) for p in result.problems} == {
        ("FG_ep010_sc02_0020_comp_v002", "missing_media"),
        ("FG_ep010_sc02_0020_comp_v003", "checksum_mismatch"),
    }
    world.services.close()
