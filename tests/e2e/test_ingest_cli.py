"""`onepiece ingest` end to end on the embedded defaults (local tracker, local storage)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from onepiece.adapters.storage.local.storage import LocalStorage
from onepiece.adapters.trackers.local.tracker import LocalTracker
from onepiece.samples import SampleDelivery, write_clip
from tests.e2e.conftest import Run
from tests.ingest_support import (
    CLIP,
    SEQUENCE,
    assert_all_stored_and_verified,
    data_dir,
    expected_key,
    local_stores,
    recorded_runs,
    snapshot,
    versions_by_code,
)

Stores = tuple[LocalTracker, LocalStorage]
BASE = ("ingest", "--project", "demo", "--show-code", "FG")


def ingest(onepiece: Run, delivery: SampleDelivery, *extra: str, manifest: bool = True):
    args = [*BASE, str(delivery.folder), *extra]
    if manifest and delivery.manifest:
        args += ["--manifest", str(delivery.manifest)]
    return onepiece(*args)


def test_sample_delivery_is_ingested_and_the_deliberate_mismatch_reported(
    onepiece: Run,
    sample_delivery: SampleDelivery,
    stores: Stores,
    tmp_path: Path,
    isolated_env: Path,
) -> None:
    before = snapshot(sample_delivery.folder)
    report = tmp_path / "report.csv"

    result = ingest(onepiece, sample_delivery, "--report-path", str(report))

    assert result.returncode == 5, result.stderr  # INTEGRITY: the deliberate checksum error
    assert "3 registered" in result.stdout
    assert f"mismatch: {CLIP}: checksum mismatch: expected md5:" in result.stdout
    assert "frames 1005-1007 missing from 1001-1004,1008-1012" in result.stdout
    assert snapshot(sample_delivery.folder) == before
    tracker, storage = stores
    versions = versions_by_code(tracker)
    assert set(versions) == {
        "FG_ep010_sc02_0020_comp_v002",
        "FG_ep010_sc02_0030_comp_v003",
        SEQUENCE,
    }
    plate = versions[SEQUENCE]
    assert (plate.frame_first, plate.frame_last) == (1001, 1012)
    assert plate.frame_range == "1001-1004,1008-1012"
    assert plate.metadata["missing_frames"] == "1005-1007"
    assert plate.shot == "ep010_sc02_0100"
    clip = versions["FG_ep010_sc02_0020_comp_v002"]
    assert clip.checksum and clip.checksum.startswith("xxh3:")
    assert clip.metadata["source_path"] == "/vendor/renders/FG_ep010_sc02_0020_comp_v002.mov"
    head = storage.head("vendor-in", expected_key(sample_delivery.folder / f"{clip.code}.mov"))
    assert head.checksum == clip.checksum
    assert_all_stored_and_verified(
        storage, "vendor-in", sample_delivery.files, skip=frozenset({CLIP})
    )
    mismatched = data_dir(isolated_env) / "storage" / "vendor-in" / expected_key(Path(CLIP))
    assert not mismatched.exists()
    rows = list(csv.DictReader(report.open()))
    assert len(rows) == len(sample_delivery.files)
    by_path = {row["path"]: row for row in rows}
    assert by_path[CLIP]["status"] == "mismatch"
    frame = by_path[f"plates/{SEQUENCE}.1001.exr"]
    assert (frame["status"], frame["shot"], frame["frame"], frame["version"]) == (
        "uploaded",
        "0100",
        "1001",
        "1",
    )
    assert frame["key"] == f"FG/ep010/sc02/0100/plate/v001/{SEQUENCE}.1001.exr"
    assert frame["checksum"].startswith("xxh3:")


def test_running_the_same_delivery_again_creates_no_duplicates(
    onepiece: Run, clean_delivery: SampleDelivery, stores: Stores
) -> None:
    first = ingest(onepiece, clean_delivery, "--format", "json")
    assert first.returncode == 0, first.stderr
    second = ingest(onepiece, clean_delivery, "--format", "json")
    assert second.returncode == 0, second.stderr

    counts = json.loads(second.stdout)["counts"]
    assert counts["registered"] == 0
    assert counts["existing"] == 4
    assert counts["uploaded"] == 0
    assert counts["skipped"] == len(clean_delivery.files)
    tracker, _ = stores
    assert len(versions_by_code(tracker)) == 4


def test_json_summary_is_pure_json_and_the_run_is_registered(
    onepiece: Run, clean_delivery: SampleDelivery, isolated_env: Path
) -> None:
    result = ingest(onepiece, clean_delivery, "--format", "json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["status"] == "completed"
    assert summary["counts"]["uploaded"] == len(clean_delivery.files)
    [run] = recorded_runs(data_dir(isolated_env))
    assert run["id"] == summary["run_id"]
    assert run["status"] == "completed"
    assert run["folder"] == str(clean_delivery.folder)
    assert run["counts"]["registered"] == 4
    assert run["completed_at"] >= run["started_at"]


def test_dry_run_writes_only_the_report(
    onepiece: Run, sample_delivery: SampleDelivery, isolated_env: Path, tmp_path: Path
) -> None:
    report = tmp_path / "dry.json"
    result = ingest(onepiece, sample_delivery, "--dry-run", "--report-path", str(report))
    assert result.returncode == 0, result.stderr  # nothing read, so no mismatch yet
    assert "nothing was written" in result.stdout
    assert "would ingest 4 version(s), 12 file(s)" in result.stdout
    assert not (isolated_env / "data").exists()
    data = json.loads(report.read_text())
    assert {row["status"] for row in data["files"]} == {"ready"}
    assert data["summary"]["dry_run"] is True


def test_aws_ingest_is_the_same_command(
    onepiece: Run, clean_delivery: SampleDelivery, stores: Stores
) -> None:
    result = onepiece(
        "aws",
        *BASE,
        str(clean_delivery.folder),
        "--source",
        "client",
        "--client-bucket",
        "client-drop",
        "--checksum",
        "sha256",
    )
    assert result.returncode == 0, result.stderr
    tracker, storage = stores
    assert_all_stored_and_verified(storage, "client-drop", clean_delivery.files)
    assert all(v.checksum.startswith("sha256:") for v in tracker.list_versions("demo"))
    assert {v.metadata["source"] for v in tracker.list_versions("demo")} == {"client"}


def test_a_different_file_under_a_registered_version_is_a_conflict_not_an_overwrite(
    onepiece: Run, clean_delivery: SampleDelivery, stores: Stores, tmp_path: Path
) -> None:
    assert ingest(onepiece, clean_delivery, manifest=False).returncode == 0
    _, storage = stores
    key = expected_key(clean_delivery.folder / CLIP)
    stored = storage.get_bytes("vendor-in", key)
    redelivery = tmp_path / "redelivery"
    write_clip(redelivery / CLIP, seconds=0.5, seed=99)

    result = onepiece(*BASE, str(redelivery), "--format", "json")

    assert result.returncode == 6, result.stderr  # TRACKER: version conflict
    summary = json.loads(result.stdout)
    assert summary["counts"]["conflicts"] == 1
    [problem] = summary["problems"]
    assert problem["status"] == "conflict"
    assert "not overwritten" in problem["reason"]
    assert storage.get_bytes("vendor-in", key) == stored


def test_show_pattern_and_layout_come_from_onepiece_toml(
    onepiece: Run, tmp_path: Path, stores: Stores
) -> None:
    workspace = tmp_path / "ws"
    delivery = workspace / "in"
    write_clip(delivery / "ZZ-ep1-sc1-0200-lookdev-12.mov", seconds=0.2)
    (workspace / "onepiece.toml").write_text(
        'project = "demo"\nshow_code = "ZZ"\n'
        "[shows.ZZ]\n"
        "name_pattern = '(?P<show>[A-Z]+)-(?P<episode>\\w+)-(?P<scene>\\w+)-(?P<shot>\\d+)"
        "-(?P<asset>[a-z]+)-(?P<version>\\d+)\\.(?P<ext>\\w+)'\n"
        'layout = "{show}/{shot}/{asset}/{version:04d}/{filename}"\n'
    )
    result = onepiece("ingest", "in", cwd=workspace)
    assert result.returncode == 0, result.stderr
    tracker, storage = stores
    [version] = tracker.list_versions("demo")
    assert version.code == "ZZ-ep1-sc1-0200-lookdev-12"
    assert storage.head("vendor-in", "ZZ/0200/lookdev/0012/ZZ-ep1-sc1-0200-lookdev-12.mov")


def test_missing_hierarchy_is_reported_when_creation_is_off(
    onepiece: Run, clean_delivery: SampleDelivery, stores: Stores
) -> None:
    tracker, storage = stores
    tracker.ensure_project("demo")
    env = {"ONEPIECE_TRACKER_CREATE_MISSING_HIERARCHY": "false"}
    result = onepiece(*BASE, str(clean_delivery.folder), "--format", "json", env=env)
    assert result.returncode == 4, result.stderr
    problems = json.loads(result.stdout)["problems"]
    assert "shot ep010_sc02_0010 not in project demo" in problems[0]["reason"]
    assert "create_missing_hierarchy is off" in problems[0]["reason"]
    assert tracker.list_versions("demo") == []
    assert tracker.list_shots("demo") == []


@pytest.mark.parametrize(
    ("env", "expected"), [({}, "wtg"), ({"ONEPIECE_TRACKER_INITIAL_SHOT_STATUS": "rdy"}, "rdy")]
)
def test_shots_created_by_ingest_get_the_configured_initial_status(
    onepiece: Run,
    clean_delivery: SampleDelivery,
    isolated_env: Path,
    env: dict[str, str],
    expected: str,
) -> None:
    """Issue 14.18: no more `unknown` shots: tracker.initial_shot_status (default wtg)."""
    result = onepiece(*BASE, str(clean_delivery.folder), env=env)
    assert result.returncode == 0, result.stderr
    tracker, _ = local_stores(isolated_env)
    shots = tracker.list_shots("demo")
    assert shots and {shot.status for shot in shots} == {expected}
