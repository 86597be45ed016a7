"""Reading and writing ``ascmhl/`` histories on disk: the chain decides what is trusted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from onepiece.domain.mhl import MhlEntry
from onepiece.errors import IntegrityError, ValidationError
from onepiece.services.mhl.history import creator, read_history, write_generation

WHEN = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)


def history(tmp_path: Path, generations: int = 2) -> Path:
    folder = tmp_path / "card"
    folder.mkdir()
    for n in range(generations):
        entry = MhlEntry(f"clip{n}.mov", {"md5": f"{n}" * 32}, 10)
        write_generation(folder, [entry], creator(when=WHEN + timedelta(seconds=n)))
    return folder


def test_generations_are_numbered_and_chained(tmp_path: Path) -> None:
    source = read_history(history(tmp_path))
    assert source is not None
    assert [link.number for link in source.chain] == [1, 2]
    assert [link.filename for link in source.chain] == [
        "0001_card_2026-03-04_050607Z.mhl",
        "0002_card_2026-03-04_050608Z.mhl",
    ]
    assert set(source.expected) == {"clip0.mov", "clip1.mov"}


def test_no_history_is_none(tmp_path: Path) -> None:
    assert read_history(tmp_path) is None


def test_a_missing_chain_file_is_an_integrity_error(tmp_path: Path) -> None:
    folder = history(tmp_path)
    (folder / "ascmhl" / "ascmhl_chain.xml").unlink()
    with pytest.raises(IntegrityError, match="has no ascmhl_chain.xml"):
        read_history(folder)


def test_a_generation_slipped_in_without_the_chain_is_refused(tmp_path: Path) -> None:
    folder = history(tmp_path)
    extra = folder / "ascmhl" / "0003_card_2026-03-04_060000Z.mhl"
    extra.write_bytes((folder / "ascmhl" / "0001_card_2026-03-04_050607Z.mhl").read_bytes())
    with pytest.raises(IntegrityError, match="is not recorded in ascmhl_chain.xml"):
        read_history(folder)


def test_a_generation_the_chain_names_must_exist(tmp_path: Path) -> None:
    folder = history(tmp_path)
    (folder / "ascmhl" / "0001_card_2026-03-04_050607Z.mhl").unlink()
    with pytest.raises(IntegrityError, match="listed in the chain but missing"):
        read_history(folder)


def test_an_altered_generation_breaks_the_chain(tmp_path: Path) -> None:
    folder = history(tmp_path)
    generation = folder / "ascmhl" / "0002_card_2026-03-04_050608Z.mhl"
    generation.write_text(generation.read_text().replace("clip1.mov", "clip9.mov"))
    with pytest.raises(IntegrityError, match="broken chain"):
        read_history(folder)


def test_a_malformed_generation_is_bad_input_with_its_line(tmp_path: Path) -> None:
    folder = history(tmp_path)
    generation = folder / "ascmhl" / "0002_card_2026-03-04_050608Z.mhl"
    generation.write_text(generation.read_text().replace("</hashes>", ""))
    with pytest.raises(ValidationError, match=r"0002_card_2026-03-04_050608Z.mhl line \d+"):
        read_history(folder)
