"""The manifest kept inside the delivery folder is not scanned as media, however
its path was spelled, and only it: the scan knows it by the file it is."""

from __future__ import annotations

from pathlib import Path

import pytest

from onepiece.services.ingest.scan import scan_folder


def _delivery(tmp_path: Path) -> Path:
    root = tmp_path / "delivery"
    (root / "plates").mkdir(parents=True)
    for frame in (1001, 1002):
        (root / "plates" / f"FG_ep010_sc01_0500_plate_v001.{frame}.exr").write_bytes(b"x" * 64)
    (root / "manifest.csv").write_text("path,checksum\n")
    (root / "notes.csv").write_text("other\n")  # same type, another file: still media
    return root


def test_the_manifest_is_left_out_by_any_spelling_of_its_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _delivery(tmp_path)
    monkeypatch.chdir(tmp_path)
    spellings = [
        root / "manifest.csv",
        Path("delivery/manifest.csv"),  # relative
        root / "plates" / ".." / "manifest.csv",
    ]
    link = tmp_path / "manifest-link.csv"
    link.symlink_to(root / "manifest.csv")
    for manifest in [*spellings, link]:
        scanned = {f.path for f in scan_folder(root, exclude=frozenset({manifest})).files}
        assert "manifest.csv" not in scanned, manifest
        assert {"notes.csv", "plates/FG_ep010_sc01_0500_plate_v001.1001.exr"} <= scanned


def test_without_a_manifest_inside_every_file_is_scanned(tmp_path: Path) -> None:
    root = _delivery(tmp_path)
    outside = tmp_path / "elsewhere.csv"
    outside.write_text("path,checksum\n")
    for exclude in (frozenset(), frozenset({outside}), frozenset({tmp_path / "missing.csv"})):
        scanned = {f.path for f in scan_folder(root, exclude=exclude).files}
        assert len(scanned) == 4 and "manifest.csv" in scanned
