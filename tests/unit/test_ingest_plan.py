"""The ingest plan: files matched to names, the manifest and the layout; reasons per file."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onepiece.domain.ingest_plan import (
    FileStatus,
    IngestPlan,
    ScannedFile,
    build_plan,
    version_checksum,
)
from onepiece.domain.layout import compile_layout
from onepiece.domain.manifest import parse_manifest
from onepiece.domain.naming import compile_rules, format_name
from onepiece.errors import ConfigError

LAYOUT = compile_layout("{show}/{episode}/{scene}/{shot}/{asset}/v{version:03d}/{filename}")
CLIP = "FG_ep010_sc02_0010_comp_v004.mov"
HEADER = "show,episode,scene,shot,asset,version,source_path,delivery_path,checksum\n"


def seq(*frames: int, shot: str = "0020") -> list[ScannedFile]:
    return [ScannedFile(f"seq/FG_ep010_sc02_{shot}_comp_v001.{f}.exr", 10) for f in frames]


def plan(files: list[ScannedFile], manifest: str | None = None, layout=LAYOUT) -> IngestPlan:
    parsed = parse_manifest(manifest, "csv", name="m.csv", show_code="FG") if manifest else None
    return build_plan(
        files,
        project="demo",
        show="FG",
        bucket="vendor-in",
        rules=compile_rules(None, "FG"),
        layout=layout,
        manifest=parsed,
    )


def statuses(result: IngestPlan) -> dict[str, tuple[str, str | None]]:
    return {f.path: (f.status.value, f.reason) for f in result.files}


def test_clip_and_sequence_plan_keys_from_the_layout() -> None:
    result = plan([ScannedFile(CLIP, 100), *seq(1001, 1002, 1004)])
    assert [v.code for v in result.versions] == [
        "FG_ep010_sc02_0010_comp_v004",
        "FG_ep010_sc02_0020_comp_v001",
    ]
    clip, sequence = result.versions
    assert clip.files[0].key == f"FG/ep010/sc02/0010/comp/v004/{CLIP}"
    assert sequence.path_key == "FG/ep010/sc02/0020/comp/v001/FG_ep010_sc02_0020_comp_v001.%04d.exr"
    assert sequence.metadata["missing_frames"] == "1003"
    assert result.warnings == [
        "FG_ep010_sc02_0020_comp_v001: frames 1003 missing from 1001-1002,1004"
    ]
    assert all(f.status is FileStatus.READY for f in result.files)


def test_bad_frame_holds_back_the_whole_sequence() -> None:
    files = seq(1, 2) + [
        ScannedFile("seq/FG_ep010_sc02_0020_comp_v001.3.exr", 0, "empty file (0 bytes)")
    ]
    result = plan(files)
    assert result.versions == []
    got = statuses(result)
    assert got["seq/FG_ep010_sc02_0020_comp_v001.3.exr"] == ("invalid", "empty file (0 bytes)")
    assert got["seq/FG_ep010_sc02_0020_comp_v001.1.exr"][1].startswith("held back: seq/")


def test_system_files_are_ignored_and_bad_names_invalid() -> None:
    result = plan([ScannedFile(CLIP, 1), ScannedFile(".DS_Store", 1), ScannedFile("readme.txt", 1)])
    got = statuses(result)
    assert got[".DS_Store"][0] == "ignored"
    assert got["readme.txt"][0] == "invalid"
    assert "expected 6 fields" in (got["readme.txt"][1] or "")
    assert len(result.versions) == 1


def test_manifest_must_cover_every_file_and_every_entry_must_be_delivered() -> None:
    manifest = HEADER + f"FG,ep010,sc02,0010,comp,4,,{CLIP},md5:{'0' * 32}\n"
    manifest += "FG,ep010,sc02,0030,comp,1,,FG_ep010_sc02_0030_comp_v001.mov,\n"
    result = plan(
        [ScannedFile(CLIP, 1), ScannedFile("FG_ep010_sc02_0040_comp_v001.mov", 1)], manifest
    )
    got = statuses(result)
    assert got[CLIP] == ("ready", None)
    assert got["FG_ep010_sc02_0040_comp_v001.mov"] == (
        "invalid",
        "not listed in the manifest m.csv",
    )
    assert got["FG_ep010_sc02_0030_comp_v001.mov"] == (
        "invalid",
        "listed in the manifest (line 3) but not delivered",
    )
    assert result.versions[0].files[0].expected_checksum == f"md5:{'0' * 32}"


def test_manifest_fields_must_agree_with_the_name() -> None:
    manifest = HEADER + f"FG,ep010,sc02,0099,comp,4,,{CLIP},\n"
    got = statuses(plan([ScannedFile(CLIP, 1)], manifest))
    assert got[CLIP] == ("invalid", "manifest line 2 says shot '0099' but the name says '0010'")


def test_bad_manifest_rows_land_on_their_file_or_their_own_row() -> None:
    manifest = HEADER + f"FG,ep010,sc02,0010,comp,x,,{CLIP},\n"
    manifest += "FG,ep010,sc02,0010,comp,4,,../../outside.mov,\n"
    got = statuses(plan([ScannedFile(CLIP, 1)], manifest))
    assert got[CLIP][0] == "invalid"
    assert "line 2: bad version number 'x'" in (got[CLIP][1] or "")
    assert got["../../outside.mov"][0] == "invalid"
    assert "leaves the delivery folder" in (got["../../outside.mov"][1] or "")


def test_manifest_metadata_enriches_the_version() -> None:
    manifest = HEADER.strip() + ",artist\n" + f"FG,ep010,sc02,0010,comp,4,/v/a.mov,{CLIP},,ana\n"
    [version] = plan([ScannedFile(CLIP, 1)], manifest).versions
    assert version.metadata == {
        "delivery_path": CLIP,
        "manifest": "m.csv",
        "source_path": "/v/a.mov",
        "artist": "ana",
    }


def test_layout_that_maps_two_versions_to_one_key_refuses_both() -> None:
    layout = compile_layout("{show}/{shot}/{asset}.{ext}{filename:.0}")
    files = [ScannedFile(CLIP, 1), ScannedFile("FG_ep010_sc02_0010_comp_v005.mov", 1)]
    result = plan(files, layout=layout)
    assert result.versions == []
    assert all("is shared with another file" in (f.reason or "") for f in result.files)


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{show}/{shoot}/{filename}", "unknown fields shoot"),
        ("{show}/{shot}", "must contain {filename}"),
        ("{show}/{shot/{filename}", "not a valid template"),
        ("/{show}/{filename}", "cannot be rendered"),
    ],
)
def test_bad_layouts_are_config_errors(template: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        compile_layout(template)


def test_sequence_checksum_changes_with_any_frame() -> None:
    result = plan(seq(1, 2))
    files = result.versions[0].files
    for i, row in enumerate(files):
        row.checksum = f"xxh3:{i:016x}"
    first = version_checksum("xxh3", files)
    files[1].checksum = "xxh3:" + "f" * 16
    assert version_checksum("xxh3", files) != first
    assert first.startswith("xxh3:")


names = st.builds(
    lambda shot, version, frame, ext: format_name(
        "FG", "ep010", "sc02", shot, "comp", version, ext, frame=frame
    ),
    st.sampled_from(["0010", "0020", "0030"]),
    st.integers(1, 3),
    st.none() | st.integers(1001, 1010),
    st.sampled_from(["exr", "mov"]),
)
paths = st.tuples(
    st.sampled_from(["", "a/", "b/"]), names | st.sampled_from(["x.txt", "FG_v4.mov"])
)


@given(st.lists(st.tuples(paths, st.integers(0, 3)), max_size=40, unique_by=lambda t: t[0]))
def test_every_file_gets_one_row_and_ready_files_form_whole_versions(
    entries: list[tuple[tuple[str, str], int]],
) -> None:
    scanned = [
        ScannedFile(folder + name, size, None if size else "empty file (0 bytes)")
        for (folder, name), size in entries
    ]
    result = plan(scanned)
    assert sorted(f.path for f in result.files) == sorted(s.path for s in scanned)
    in_versions = [row for version in result.versions for row in version.files]
    ready = [row for row in result.files if row.status is FileStatus.READY]
    assert sorted(id(r) for r in in_versions) == sorted(id(r) for r in ready)
    keys = [row.key for row in in_versions]
    assert len(keys) == len(set(keys))
    codes = [version.code for version in result.versions]
    assert len(codes) == len(set(codes))
    for row in result.files:
        assert (row.status is FileStatus.INVALID) == bool(row.reason)
