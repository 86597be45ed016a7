"""Manifests (CSV and JSON): every bad row is reported with where it is."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onepiece.domain.manifest import normalize_delivery_path, parse_manifest
from onepiece.errors import ValidationError

HEADER = "show,episode,scene,shot,asset,version,source_path,delivery_path,checksum"
GOOD = "FG,ep010,sc02,0010,comp,v004,/vendor/a.mov,FG_ep010_sc02_0010_comp_v004.mov,"
MD5 = "md5:0123456789abcdef0123456789abcdef"


def csv(*rows: str, header: str = HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def test_csv_rows_become_entries_with_metadata() -> None:
    text = csv(GOOD + MD5.upper()[4:].join(["MD5:", ",ana"]), header=HEADER + ",artist")
    manifest = parse_manifest(text, "csv", name="m.csv", show_code="FG")
    assert manifest.problems == []
    entry = manifest.entries["FG_ep010_sc02_0010_comp_v004.mov"]
    assert (entry.version, entry.line, entry.checksum) == (4, 2, MD5)
    assert entry.source_path == "/vendor/a.mov"
    assert entry.extra == {"artist": "ana"}


def test_json_manifest_reports_lines_of_bad_entries() -> None:
    data = {
        "files": [
            {
                "show": "FG",
                "episode": "ep010",
                "scene": "sc02",
                "shot": "0010",
                "asset": "comp",
                "version": 4,
                "delivery_path": "a/FG_ep010_sc02_0010_comp_v004.mov",
                "checksum": None,
            },
            {
                "show": "FG",
                "episode": "ep010",
                "scene": "sc02",
                "shot": "0020",
                "asset": "comp",
                "version": "v0x",
                "delivery_path": "FG_ep010_sc02_0020_comp_v001.mov",
            },
        ]
    }
    text = json.dumps(data, indent=2)
    manifest = parse_manifest(text, "json", name="m.json")
    assert list(manifest.entries) == ["a/FG_ep010_sc02_0010_comp_v004.mov"]
    [problem] = manifest.problems
    second_line = text.splitlines().index("    {", 3) + 1
    assert problem.line == second_line
    assert problem.where == f"files[1] (line {second_line})"
    assert "bad version number 'v0x'" in problem.reason


def test_csv_missing_columns_fail_the_whole_manifest() -> None:
    with pytest.raises(ValidationError, match="missing columns: version, delivery_path"):
        parse_manifest("show,episode,scene,shot,asset\nFG,a,b,c,d\n", "csv", name="m.csv")


def test_json_entry_missing_keys_is_a_row_problem() -> None:
    text = json.dumps({"files": [{"show": "FG", "delivery_path": "x.mov"}]})
    [problem] = parse_manifest(text, "json").problems
    assert "missing values for episode, scene, shot, asset, version" in problem.reason
    assert problem.delivery_path == "x.mov"


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("FG,ep010,sc02,0010,comp,four,,a.mov,", "bad version number 'four'"),
        ("FG,ep010,sc02,0010,comp,0,,a.mov,", "bad version number '0'"),
        ("XY,ep010,sc02,0010,comp,4,,a.mov,", "show 'XY' does not match the show code 'FG'"),
        ("FG,ep010,sc02,0010,comp,4,,../../etc/passwd,", "leaves the delivery folder"),
        ("FG,ep010,sc02,0010,comp,4,,/etc/passwd,", "is absolute"),
        ("FG,ep010,sc02,0010,comp,4,,C:\\x\\a.mov,", "is absolute"),
        ("FG,ep010,sc02,0010,comp,4,,a.mov,crc32:1234", "not written as algo:hexdigest"),
        ("FG,ep010,sc02,0010,comp,4,,a.mov,md5:1234", "not a valid md5 digest"),
        ("FG,ep010,sc02,0010,comp,4,,a.mov,,extra", "more values than the header"),
        ("FG,,sc02,0010,comp,4,,a.mov,", "missing values for episode"),
    ],
)
def test_bad_rows_are_reported_with_line_numbers(row: str, reason: str) -> None:
    manifest = parse_manifest(csv(GOOD, row), "csv", name="m.csv", show_code="FG")
    assert list(manifest.entries) == ["FG_ep010_sc02_0010_comp_v004.mov"]
    [problem] = manifest.problems
    assert problem.line == 3
    assert reason in problem.reason


def test_duplicate_entries_void_both_rows() -> None:
    manifest = parse_manifest(csv(GOOD, GOOD), "csv", name="m.csv")
    assert manifest.entries == {}
    reasons = sorted((p.line, p.reason) for p in manifest.problems)
    assert reasons == [(2, "listed more than once"), (3, "duplicate entry (first at line 2)")]


def test_quoted_multiline_csv_rows_keep_their_starting_line() -> None:
    row = 'FG,ep010,sc02,0020,comp,4,"/vendor/two\nlines.mov",b.mov,'
    manifest = parse_manifest(
        csv(GOOD, row, "XY,ep010,sc02,0010,comp,4,,c.mov,"), "csv", show_code="FG"
    )
    assert manifest.entries["b.mov"].line == 3
    assert [p.line for p in manifest.problems] == [5]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("{not json", "not valid JSON"),
        ('[{"show": "FG"}]', 'must be a JSON object with a "files" list'),
        ('{"rows": []}', 'must be a JSON object with a "files" list'),
        ("", "is empty"),
    ],
)
def test_unreadable_manifests_raise(text: str, reason: str) -> None:
    fmt = "csv" if not text else "json"
    with pytest.raises(ValidationError, match=reason):
        parse_manifest(text, fmt)  # type: ignore[arg-type]


@given(st.lists(st.text("ab./\\", min_size=1, max_size=6), min_size=1, max_size=6))
def test_normalised_delivery_paths_never_escape_the_folder(parts: list[str]) -> None:
    raw = "/".join(parts)
    try:
        clean = normalize_delivery_path(raw)
    except ValidationError:
        return
    assert not clean.startswith("/")
    assert ".." not in clean.split("/")
    assert "\\" not in clean
