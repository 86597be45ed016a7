"""Delivery planning, safe names, sequence expansion and upstream manifests (pure)."""

from __future__ import annotations

import pytest

from onepiece.domain.delivery import UpstreamEntry, manifest_csv, plan_delivery
from onepiece.domain.entities import Version
from onepiece.domain.media_paths import local_bucket_key, parse_storage_uri
from onepiece.domain.safe_paths import safe_relative_path, slug
from onepiece.domain.sequences import expand_frames
from onepiece.domain.upstream_manifest import parse_upstream_manifest
from onepiece.errors import ValidationError

SUM = "xxh3:" + "0" * 16


def version(code: str = "FG_ep010_sc02_0010_comp_v004", **fields: object) -> Version:
    base: dict[str, object] = {
        "project": "FG",
        "code": code,
        "episode": "ep010",
        "sequence": "sc02",
        "shot": "0010",
        "status": "apr",
        "path": f"s3://vendor-in/FG/{code}.mov",
        "checksum": SUM,
        "size": 10,
    }
    base.update(fields)
    return Version(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "name",
    ["../evil", "a/../../b", "/etc/passwd", "C:/win", "a\\b", "a//b", "./a", "x\x00y", ""],
)
def test_unsafe_relative_paths_are_refused(name: str) -> None:
    with pytest.raises(ValidationError):
        safe_relative_path(name)


def test_safe_relative_path_keeps_clean_names() -> None:
    assert safe_relative_path("pkg/ep010/file.mov") == "pkg/ep010/file.mov"


def test_slug_replaces_unusual_characters() -> None:
    assert slug("FG delivery (final)") == "FG_delivery__final"


def test_storage_uris_parse_to_bucket_and_key_or_path() -> None:
    s3 = parse_storage_uri("s3://bkt/a/b.%04d.exr")
    assert (s3.scheme, s3.bucket, s3.key) == ("s3", "bkt", "a/b.%04d.exr")
    local = parse_storage_uri("file:///data/storage/bkt/x%20y.%2504d.exr")
    assert (local.scheme, local.path) == ("file", "/data/storage/bkt/x y.%04d.exr")
    assert local_bucket_key("/data/storage/bkt/a/x.mov", "/data/storage") == ("bkt", "a/x.mov")
    assert local_bucket_key("/elsewhere/x.mov", "/data/storage") is None
    with pytest.raises(ValidationError):
        parse_storage_uri("relative/path.mov")


def test_sequence_patterns_expand_over_the_frame_set_with_gaps() -> None:
    frames = expand_frames("sh.####.exr", "1001-1002,1004", None, None)
    assert frames == [(1001, "sh.1001.exr"), (1002, "sh.1002.exr"), (1004, "sh.1004.exr")]
    assert expand_frames("sh.%05d.exr", None, 7, 8) == [(7, "sh.00007.exr"), (8, "sh.00008.exr")]
    with pytest.raises(ValidationError):
        expand_frames("sh.####.exr", None, None, None)


def test_plan_lays_files_out_by_episode_sequence_shot_and_version() -> None:
    plan = plan_delivery([version()], "PKG")
    assert [f.name for f in plan.files] == [
        "PKG/ep010/sc02/0010/FG_ep010_sc02_0010_comp_v004/FG_ep010_sc02_0010_comp_v004.mov"
    ]
    assert plan.files[0].expected_checksum == SUM
    assert not plan.problems


def test_plan_reports_unsafe_tracker_fields_and_missing_paths() -> None:
    plan = plan_delivery([version("A_v001", shot="../../etc"), version("B_v001", path=None)], "P")
    assert not plan.files
    assert {(p.version, p.kind) for p in plan.problems} == {
        ("A_v001", "unsafe_name"),
        ("B_v001", "no_media"),
    }


def test_plan_prefers_upstream_names_and_checksums_but_refuses_zip_slip() -> None:
    upstream_sum = "md5:" + "a" * 32
    rows = {
        "A_v001.mov": UpstreamEntry("A_v001.mov", "vendor/A_v001.mov", upstream_sum),
        "B_v001.mov": UpstreamEntry("B_v001.mov", "../../B_v001.mov", None),
    }
    plan = plan_delivery(
        [
            version("A_v001", path="s3://b/A_v001.mov"),
            version("B_v001", path="s3://b/B_v001.mov"),
        ],
        "P",
        rows,
    )
    assert [(f.name, f.expected_checksum) for f in plan.files] == [
        ("P/vendor/A_v001.mov", upstream_sum)
    ]
    assert [(p.version, p.kind) for p in plan.problems] == [("B_v001", "unsafe_name")]


def test_plan_expands_sequences_with_per_frame_checksums() -> None:
    seq = version("S_v001", path="s3://b/S/S_v001.####.exr", frame_range="1-2", size=None)
    sums = {"s3://b/S/S_v001.0001.exr": SUM}
    plan = plan_delivery([seq], "P", frame_checksums=sums)
    assert [(f.source, f.frame, f.expected_checksum) for f in plan.files] == [
        ("s3://b/S/S_v001.0001.exr", 1, SUM),
        ("s3://b/S/S_v001.0002.exr", 2, None),
    ]


def test_upstream_manifest_reads_csv_and_json_and_rejects_bad_input() -> None:
    csv_text = "show,episode,scene,shot,delivery_path,checksum\nFG,ep1,sc1,0010,x/A.mov,MD5:" + (
        "A" * 32 + "\n"
    )
    rows = parse_upstream_manifest(csv_text, "csv")
    assert rows["A.mov"].checksum == "md5:" + "a" * 32
    assert rows["A.mov"].sequence == "sc1"
    assert "B.mov" in parse_upstream_manifest('{"files": [{"source_path": "B.mov"}]}', "json")
    for text, fmt in [
        ("{not json", "json"),
        ('{"files": 3}', "json"),
        ("a,b\n1,2\n", "csv"),
        ("delivery_path,checksum\nA.mov,md5:zz\n", "csv"),
        ("delivery_path\nA.mov\nx/A.mov\n", "csv"),
    ]:
        with pytest.raises(ValidationError):
            parse_upstream_manifest(text, fmt)


def test_manifest_csv_has_a_header_and_one_row_per_entry() -> None:
    assert manifest_csv([]).decode().splitlines() == [
        "name,version,episode,sequence,shot,frame,size,checksum,source"
    ]


def test_a_version_with_a_kept_vendor_history_plans_its_custody() -> None:
    kept = "vendor-in/mhl-custody/c4abc"
    frames = version(
        "FG_ep010_sc02_0100_plate_v001",
        path="s3://vendor-in/FG/FG_ep010_sc02_0100_plate_v001.%04d.exr",
        frame_first=1001,
        frame_last=1002,
        metadata={"mhl_history": kept, "mhl_folder": "plates"},
    )
    clip = version(metadata={"mhl_history": kept, "mhl_folder": ""})

    plan = plan_delivery([frames, clip], "pkg")

    assert [(f.custody.history, f.custody.path) for f in plan.files if f.custody] == [
        (kept, "FG_ep010_sc02_0010_comp_v004.mov"),
        (kept, "plates/FG_ep010_sc02_0100_plate_v001.1001.exr"),
        (kept, "plates/FG_ep010_sc02_0100_plate_v001.1002.exr"),
    ]


@pytest.mark.parametrize(
    "metadata",
    [
        {},
        {"mhl_folder": "plates"},
        {"mhl_history": "vendor-in/mhl-custody/c4abc", "mhl_folder": "../../etc"},
        {"mhl_history": "vendor-in/mhl-custody/c4abc", "mhl_folder": "/abs"},
        {"mhl_history": ["not", "text"]},
    ],
)
def test_no_or_untrusted_custody_metadata_plans_none(metadata: dict[str, object]) -> None:
    plan = plan_delivery([version(metadata=metadata)], "pkg")
    assert plan.files[0].custody is None
