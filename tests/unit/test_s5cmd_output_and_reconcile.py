"""Reading s5cmd's JSON lines; comparing tracker and storage records (pure)."""

from __future__ import annotations

from onepiece.domain.reconcile import (
    StoredObject,
    TrackedFile,
    compare_shots,
    compare_versions,
    summarise,
)
from onepiece.domain.s5cmd_output import parse_output

# Lines as s5cmd 2.3.0 prints them with --json --log debug.
STDOUT = "\n".join(
    [
        '{"operation":"sync","job":"sync dir/a b.exr s3://b/S/F/a b.exr",'
        '"error":"object is newer or same age and object size matches"}',
        '{"operation":"cp","success":true,"source":"dir/c.exr","destination":"s3://b/S/F/c.exr",'
        '"object":{"type":"file","size":30}}',
        '{"error":"retryable error: RequestError: send request failed"}',
        "not json at all",
    ]
)
STDERR = '{"operation":"cp","command":"cp dir/d.exr s3://b/S/F/d.exr","error":"AccessDenied"}\n'


def test_s5cmd_lines_fold_into_an_exact_summary() -> None:
    summary = parse_output(STDOUT, STDERR)
    assert summary.counts() == {"transferred": 1, "skipped": 1, "failed": 1, "bytes": 30}
    assert summary.skipped == ["dir/a b.exr"]
    assert summary.retries == 1
    assert not summary.ok
    download = '{"operation":"sync","job":"sync s3://b/S/F/a b.exr /w/F/a b.exr","error":"x"}'
    assert parse_output(download, "", local_root="/w/F/").skipped == ["s3://b/S/F/a b.exr"]


def test_run_level_errors_fail_but_an_empty_source_does_not() -> None:
    failed = parse_output("", '{"operation":"sync","command":"sync x y","error":"NoSuchBucket"}')
    assert failed.errors == ["NoSuchBucket"] and not failed.ok
    empty = parse_output("", '{"operation":"sync","command":"sync x y","error":"no object found"}')
    assert empty.ok and empty.empty_source


SUM_A = "xxh3:" + "a" * 16
SUM_B = "xxh3:" + "b" * 16


def test_versions_compare_missing_unknown_and_mismatched() -> None:
    tracked = [
        TrackedFile("v1", "bkt", "S/1.mov", SUM_A),
        TrackedFile("v2", "bkt", "S/2.mov", SUM_A),
        TrackedFile("v3", "bkt", "S/3.mov", "md5:" + "c" * 32),
    ]
    stored = [
        StoredObject("bkt", "S/1.mov", 1, SUM_A),
        StoredObject("bkt", "S/2.mov", 1, SUM_B.upper().replace("XXH3", "xxh3")),
        StoredObject("bkt", "S/3.mov", 1, SUM_B),  # other algorithm: not comparable
        StoredObject("bkt", "S/stray.mov", 1, None),
    ]
    differences = compare_versions(tracked, stored, {"1.mov": SUM_B, "gone.mov": SUM_A})
    assert {(d.kind, d.subject) for d in differences} == {
        ("checksum_mismatch", "v2"),
        ("unknown_to_tracker", "stray.mov"),
        ("manifest_mismatch", "1.mov"),
        ("missing_from_storage", "gone.mov"),
    }
    assert summarise(differences)["total"] == 4


def test_shots_compare_by_shot_folder() -> None:
    layout = "{show}/{episode}/{scene}/{shot}/{asset}/v{version:03d}/{filename}"
    tracked = [TrackedFile("v1", "b", "S/e/s/0010/comp/v001/v1.mov")]
    stored = [
        StoredObject("b", "S/e/s/0010/comp/v001/v1.mov", 1),
        StoredObject("b", "S/e/s/0010/comp/v001/extra.mov", 1),
        StoredObject("b", "S/e/s/0555/comp/v001/x.mov", 1),
        StoredObject("b", "S/top.txt", 1),
    ]
    differences = compare_shots(["sh10", "sh99"], tracked, {"v1": "sh10"}, stored, layout)
    assert {(d.kind, d.subject) for d in differences} == {
        ("shot_without_media", "sh99"),
        ("shot_unknown_to_tracker", "0555"),
    }
