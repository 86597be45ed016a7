"""Ignore patterns as ascmhl reads them, and continuing a vendor's history elsewhere."""

from __future__ import annotations

import pytest

from onepiece.domain.mhl import DEFAULT_IGNORE, HashList, MhlEntry, expected_files
from onepiece.domain.mhl_custody import CustodyRow, continuation
from onepiece.domain.mhl_ignore import ignore_exactly, is_ignored

XXH64 = {"xxh64": "8939fafd45108618"}
XXH3 = {"xxh3": "a94248f9ba7faba5"}


@pytest.mark.parametrize(
    ("path", "pattern", "ignored"),
    [
        (".DS_Store", ".DS_Store", True),
        ("A001/.DS_Store", ".DS_Store", True),
        ("A001/ascmhl/0001_x.mhl", "ascmhl/", True),
        ("ascmhl", "ascmhl/", False),  # a file of that name is not the folder
        ("clip_0040_v001.mov", "*_0040_*", True),
        ("plates/a.exr", "**/plates/a.exr", True),
        ("pkg/plates/a.exr", "**/plates/a.exr", True),
        ("xplates/a.exr", "**/plates/a.exr", False),
        ("plates/a.exr/inside", "**/plates/a.exr", True),  # a folder covers what it holds
        ("mhl-custody/c4abc/ascmhl_chain.xml", "mhl-custody/", True),
        ("a*b.mov", ignore_exactly("a*b.mov"), True),
        ("aXb.mov", ignore_exactly("a*b.mov"), False),
        ("c[1].mov", ignore_exactly("c[1].mov"), True),
        ("plates/sh.1001.exr", "**/plates/*.exr", True),
        ("other/sh.1001.exr", "**/plates/*.exr", False),
    ],
)
def test_ignore_patterns_match_as_the_reference_tool_does(
    path: str, pattern: str, ignored: bool
) -> None:
    assert is_ignored(path, [pattern]) is ignored


def test_an_exact_pattern_escapes_wildcards_and_trailing_blanks() -> None:
    assert ignore_exactly("plates/a*b?.exr") == "**/plates/a[*]b[?].exr"
    assert ignore_exactly("name ") == "**/name[ ]"
    assert is_ignored("name ", [ignore_exactly("name ")])


def test_the_latest_generation_ignores_take_files_out_of_the_folder() -> None:
    vendor = HashList("0001", [MhlEntry("a.mov", XXH64), MhlEntry("b.mov", XXH64)])
    ours = HashList("0002", [], ignore=[*DEFAULT_IGNORE, "**/b.mov"])
    assert set(expected_files([vendor, ours])) == {"a.mov"}
    # An older generation's patterns do not: the tool reads the latest one only.
    assert set(expected_files([ours, vendor])) == {"a.mov", "b.mov"}


def test_a_rename_keeps_the_hashes_known_under_the_old_name() -> None:
    vendor = HashList("0001", [MhlEntry("a.mov", XXH64)])
    ours = HashList("0002", [MhlEntry("ep/a.mov", XXH3, 8, "a.mov")])
    assert expected_files([vendor, ours])["ep/a.mov"].hashes == {**XXH64, **XXH3}


def test_a_continuation_renames_delivered_files_and_ignores_the_rest() -> None:
    vendor = [
        HashList(
            "0001",
            [
                MhlEntry("clip.mov", XXH64),
                MhlEntry("plates/sh.1001.exr", XXH64),
                MhlEntry("other.mov", XXH64),
            ],
        ),
        HashList("0002", [MhlEntry("renamed.mov", XXH64, None, "other.mov")]),
    ]
    rows = [
        CustodyRow("ep010/v004/clip.mov", XXH3, 8, "clip.mov"),
        CustodyRow("plates/sh.1001.exr", XXH3, 8, "plates/sh.1001.exr"),  # same place
        CustodyRow("manifest.json", XXH3, 2),  # ours only
    ]

    result = continuation(vendor, rows)

    by_path = {e.path: e for e in result.entries}
    assert by_path["ep010/v004/clip.mov"].previous_path == "clip.mov"
    assert by_path["plates/sh.1001.exr"].previous_path is None
    assert result.ignore == [*DEFAULT_IGNORE, "**/renamed.mov"]
    assert result.unresolved == []
    expected = expected_files([*vendor, HashList("ours", result.entries, ignore=result.ignore)])
    assert sorted(expected) == ["ep010/v004/clip.mov", "manifest.json", "plates/sh.1001.exr"]
    assert expected["ep010/v004/clip.mov"].hashes == {**XXH64, **XXH3}


def test_a_vendor_file_whose_pattern_would_hide_a_delivered_one_is_named() -> None:
    vendor = [HashList("0001", [MhlEntry("clip.mov", XXH64), MhlEntry("v4/clip.mov", XXH64)])]
    rows = [CustodyRow("ep/v4/clip.mov", XXH3, 8, "v4/clip.mov")]

    result = continuation(vendor, rows)

    assert result.unresolved == ["clip.mov"]  # "**/clip.mov" would hide ep/v4/clip.mov
    assert result.ignore == list(DEFAULT_IGNORE)


def test_a_file_of_ours_where_the_vendor_listed_another_is_ignored_not_listed() -> None:
    vendor = [HashList("0001", [MhlEntry("manifest.json", XXH64), MhlEntry("a.mov", XXH64)])]
    rows = [CustodyRow("manifest.json", XXH3, 2), CustodyRow("ep/a.mov", XXH3, 8, "a.mov")]

    result = continuation(vendor, rows)

    assert [e.path for e in result.entries] == ["ep/a.mov"]
    assert result.clashes == ["manifest.json"]
    assert result.ignore == [*DEFAULT_IGNORE, "**/manifest.json"]


def test_a_folder_is_asked_about_with_a_trailing_slash() -> None:
    assert is_ignored("mhl-custody/", ["mhl-custody/"])
    assert is_ignored("plates/", [ignore_exactly("plates")])
    assert not is_ignored("mhl-custody", ["mhl-custody/"])
