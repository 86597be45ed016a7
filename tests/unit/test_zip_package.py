"""The streaming ZIP writer: stored ZIP64 entries, hashed in the write, rollback."""

from __future__ import annotations

import zipfile
from pathlib import Path

import xxhash

from onepiece.services.delivery.zip_package import ZipPackage


def test_entries_are_stored_zip64_and_hashed_while_written(tmp_path: Path) -> None:
    media = tmp_path / "a.mov"
    media.write_bytes(b"x" * 5000)
    target = tmp_path / "out.zip"
    with target.open("wb") as handle:
        package = ZipPackage(handle)
        entry = package.add_file("P/a.mov", media, algorithm="xxh3")
        package.close()
    assert entry.checksum == "xxh3:" + xxhash.xxh3_64(b"x" * 5000).hexdigest()
    with zipfile.ZipFile(target) as archive:
        info = archive.getinfo("P/a.mov")
        assert info.compress_type == zipfile.ZIP_STORED
        assert archive.read("P/a.mov") == b"x" * 5000
        assert archive.testzip() is None


def test_rolled_back_entry_leaves_a_valid_archive_without_it(tmp_path: Path) -> None:
    good, bad = tmp_path / "good.mov", tmp_path / "bad.mov"
    good.write_bytes(b"g" * 3000)
    bad.write_bytes(b"b" * 7000)
    target = tmp_path / "out.zip"
    with target.open("w+b") as handle:
        package = ZipPackage(handle)
        package.add_file("P/good.mov", good, algorithm="md5")
        package.add_file("P/bad.mov", bad, algorithm="md5")
        package.rollback_last("P/bad.mov")
        package.add_bytes("P/manifest.json", b"{}")
        package.close()
    with zipfile.ZipFile(target) as archive:
        assert archive.namelist() == ["P/good.mov", "P/manifest.json"]
        assert archive.testzip() is None
    assert target.stat().st_size < 3000 + 7000


def test_rolling_back_to_a_mark_drops_a_whole_version(tmp_path: Path) -> None:
    frames = []
    for index in range(3):
        frame = tmp_path / f"f{index}.exr"
        frame.write_bytes(bytes([65 + index]) * 2000)
        frames.append(frame)
    target = tmp_path / "out.zip"
    with target.open("w+b") as handle:
        package = ZipPackage(handle)
        package.add_file("P/clip.mov", frames[0], algorithm="md5")
        mark = package.mark()
        for index, frame in enumerate(frames):
            package.add_file(f"P/seq/f{index}.exr", frame, algorithm="md5")
        package.rollback_to(mark)
        package.add_file("P/other.mov", frames[1], algorithm="md5")
        package.close()
    with zipfile.ZipFile(target) as archive:
        assert archive.namelist() == ["P/clip.mov", "P/other.mov"]
        assert archive.testzip() is None
    assert target.stat().st_size < 3 * 2000 + 1000
