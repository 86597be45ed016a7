"""`package-playlist`: a verified MediaShuttle-ready folder from a playlist."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import xxhash

from onepiece.errors import NothingToDo, ValidationError
from onepiece.services.playlist_package import PackageRequest, package_playlist
from onepiece.services.review import create_playlist
from tests.integration.delivery_world import PROJECT, make_world


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
        # Same filesystem as the storage root: hard-linked, not copied.
        packaged = destination / manifest["entries"][0]["name"]
        assert os.stat(packaged).st_nlink >= 2

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
