"""`onepiece validate mhl`: a folder against the history the reference tool wrote."""

from __future__ import annotations

import json
from pathlib import Path

from tests.ascmhl_tool import tool
from tests.e2e.conftest import Run


def vendor_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "card"
    (folder / "A001").mkdir(parents=True)
    (folder / "A001" / "clip.mov").write_bytes(b"frames" * 1000)
    (folder / "sound.wav").write_bytes(b"audio" * 500)
    created = tool("ascmhl", "create", folder, "-h", "xxh128", "-h", "sha1")
    assert created.returncode == 0, created.stdout + created.stderr
    return folder


def test_an_intact_folder_matches(onepiece: Run, tmp_path: Path) -> None:
    folder = vendor_folder(tmp_path)
    before = sorted((p, p.stat().st_mtime_ns) for p in folder.rglob("*"))

    result = onepiece("validate", "mhl", str(folder))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 file(s) match ascmhl/0001_card_" in result.stdout
    assert sorted((p, p.stat().st_mtime_ns) for p in folder.rglob("*")) == before


def test_altered_missing_and_unlisted_files_exit_10(onepiece: Run, tmp_path: Path) -> None:
    folder = vendor_folder(tmp_path)
    (folder / "A001" / "clip.mov").write_bytes(b"frameS" * 1000)
    (folder / "sound.wav").unlink()
    (folder / "notes.txt").write_text("added later")

    result = onepiece("validate", "mhl", str(folder), "--format", "json")

    assert result.returncode == 10, result.stdout + result.stderr
    kinds = {d["path"]: d["kind"] for d in json.loads(result.stdout)["differences"]}
    assert kinds == {"A001/clip.mov": "mismatch", "sound.wav": "missing", "notes.txt": "unlisted"}


def test_a_broken_chain_exits_5(onepiece: Run, tmp_path: Path) -> None:
    folder = vendor_folder(tmp_path)
    generation = next((folder / "ascmhl").glob("0001_*.mhl"))
    generation.write_text(generation.read_text().replace("<hostname>", "<hostname>z"))

    result = onepiece("validate", "mhl", str(folder))

    assert result.returncode == 5, result.stdout + result.stderr
    assert "broken chain" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_folder_without_a_list_exits_4(onepiece: Run, tmp_path: Path) -> None:
    result = onepiece("validate", "mhl", str(tmp_path))

    assert result.returncode == 4, result.stdout + result.stderr
    assert "has no ASC MHL history" in result.stderr


def test_files_the_vendor_chose_to_ignore_are_not_reported(onepiece: Run, tmp_path: Path) -> None:
    folder = tmp_path / "card"
    folder.mkdir()
    (folder / "clip.mov").write_bytes(b"frames")
    (folder / "notes.xml").write_text("<notes/>")
    created = tool("ascmhl", "create", folder, "-h", "xxh64", "-i", "*.xml")
    assert created.returncode == 0, created.stdout + created.stderr

    result = onepiece("validate", "mhl", str(folder))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 file(s) match" in result.stdout
