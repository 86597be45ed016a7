"""Bad deliveries: a clear message, a non-zero exit, nothing written outside the destination,
and the delivery folder left exactly as it was."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from onepiece.samples import SampleDelivery, manifest_rows, write_manifest
from tests.e2e.conftest import Run
from tests.ingest_support import CLIP, data_dir, snapshot

BASE = ("ingest", "--project", "demo", "--show-code", "FG", "--format", "json")


def outside_data(root: Path, home: Path) -> dict[str, tuple[int, int, int]]:
    """Everything under ``root`` except OnePiece's data dir (the destination)."""
    data = data_dir(home).relative_to(root) if data_dir(home).is_relative_to(root) else None
    return {
        k: v
        for k, v in snapshot(root).items()
        if data is None or not (k == str(data) or k.startswith(f"{data}/"))
    }


def problems_by_path(stdout: str) -> dict[str, str]:
    return {p["path"]: p["reason"] for p in json.loads(stdout)["problems"]}


def test_missing_folder(onepiece: Run, tmp_path: Path, isolated_env: Path) -> None:
    result = onepiece(*BASE, str(tmp_path / "nope"))
    assert result.returncode == 4
    assert "delivery folder" in result.stderr and "does not exist" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stdout == ""
    assert not (isolated_env / "data").exists()


def test_empty_folder(onepiece: Run, tmp_path: Path, isolated_env: Path) -> None:
    (tmp_path / "empty" / "sub").mkdir(parents=True)
    result = onepiece(*BASE, str(tmp_path / "empty"))
    assert result.returncode == 4
    assert "has no files" in result.stderr
    assert not (isolated_env / "data").exists()


def test_manifest_with_missing_columns(
    onepiece: Run, clean_delivery: SampleDelivery, isolated_env: Path
) -> None:
    assert clean_delivery.manifest is not None
    clean_delivery.manifest.write_text("show,episode,scene,shot,asset\nFG,ep010,sc02,0010,comp\n")
    result = onepiece(*BASE, str(clean_delivery.folder), "--manifest", str(clean_delivery.manifest))
    assert result.returncode == 4
    assert "missing columns: version, delivery_path" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (isolated_env / "data").exists()


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda row: row.update(version="v4x"), "line 2: bad version number 'v4x'"),
        (lambda row: row.update(show="XY"), "line 2: show 'XY' does not match the show code 'FG'"),
        (lambda row: row.update(delivery_path=f"../{CLIP}"), "leaves the delivery folder"),
        (lambda row: row.update(delivery_path=f"/etc/{CLIP}"), "is absolute"),
        (lambda row: row.update(checksum="md5:nothex"), "not a valid md5 digest"),
    ],
    ids=["bad-version", "wrong-show", "path-traversal", "absolute-path", "bad-checksum"],
)
def test_bad_manifest_rows_are_reported_by_line(
    onepiece: Run,
    clean_delivery: SampleDelivery,
    tmp_path: Path,
    isolated_env: Path,
    change,
    reason: str,
) -> None:
    rows = manifest_rows(clean_delivery.folder, clean_delivery.files)
    change(rows[0])  # rows are sorted: the first clip
    assert clean_delivery.manifest is not None
    write_manifest(clean_delivery.manifest, rows, "csv")
    before = outside_data(tmp_path, isolated_env)

    result = onepiece(*BASE, str(clean_delivery.folder), "--manifest", str(clean_delivery.manifest))

    assert result.returncode == 4, result.stderr
    problems = problems_by_path(result.stdout)
    assert any(reason in text for text in problems.values()), problems
    assert CLIP in problems  # the delivered file is not ingested without a valid entry
    summary = json.loads(result.stdout)["counts"]
    assert summary["registered"] == 3  # the rest of the delivery still goes in
    assert outside_data(tmp_path, isolated_env) == before  # nothing written outside
    assert not (tmp_path / CLIP).exists() and not Path(f"/etc/{CLIP}").exists()


def test_duplicate_manifest_entries(onepiece: Run, clean_delivery: SampleDelivery) -> None:
    rows = manifest_rows(clean_delivery.folder, clean_delivery.files)
    assert clean_delivery.manifest is not None
    write_manifest(clean_delivery.manifest, [*rows, rows[0]], "csv")
    result = onepiece(*BASE, str(clean_delivery.folder), "--manifest", str(clean_delivery.manifest))
    assert result.returncode == 4
    reason = problems_by_path(result.stdout)[CLIP]
    assert "listed more than once" in reason or "duplicate entry" in reason


def test_file_missing_from_manifest_and_entry_without_file(
    onepiece: Run, clean_delivery: SampleDelivery
) -> None:
    extra = clean_delivery.folder / "FG_ep010_sc02_0900_comp_v001.mov"
    shutil.copy(clean_delivery.files[0], extra)
    (clean_delivery.folder / clean_delivery.files[1].name).unlink()
    assert clean_delivery.manifest is not None
    result = onepiece(*BASE, str(clean_delivery.folder), "--manifest", str(clean_delivery.manifest))
    assert result.returncode == 4
    problems = problems_by_path(result.stdout)
    assert problems[extra.name] == f"not listed in the manifest {clean_delivery.manifest.name}"
    assert "but not delivered" in problems[clean_delivery.files[1].name]


def test_zero_byte_file_and_bad_names(onepiece: Run, clean_delivery: SampleDelivery) -> None:
    folder = clean_delivery.folder
    (folder / "FG_ep010_sc02_0700_comp_v001.mov").touch()
    (folder / "FG_ep010_sc02_0800_comp_v8.mov").write_bytes(b"x")
    (folder / "XY_ep010_sc02_0800_comp_v001.mov").write_bytes(b"x")
    before = snapshot(folder)
    result = onepiece(*BASE, str(folder))
    assert result.returncode == 4
    problems = problems_by_path(result.stdout)
    assert problems["FG_ep010_sc02_0700_comp_v001.mov"] == "empty file (0 bytes)"
    assert "bad version number 'v8'" in problems["FG_ep010_sc02_0800_comp_v8.mov"]
    assert "show 'XY' in the name does not match" in problems["XY_ep010_sc02_0800_comp_v001.mov"]
    assert snapshot(folder) == before


def test_non_utf8_file_name(onepiece: Run, clean_delivery: SampleDelivery) -> None:
    folder = os.fsencode(clean_delivery.folder)
    with open(os.path.join(folder, b"FG_ep010_sc02_0010_comp_v\xff01.mov"), "wb") as handle:
        handle.write(b"data")
    result = onepiece(*BASE, str(clean_delivery.folder))
    assert result.returncode == 4
    [(path, reason)] = problems_by_path(result.stdout).items()
    assert "\\xff" in path
    assert "is not valid UTF-8" in reason


def test_symlink_outside_is_refused_unless_followed(
    onepiece: Run, clean_delivery: SampleDelivery, tmp_path: Path, stores
) -> None:
    outside = tmp_path / "elsewhere" / "FG_ep010_sc02_0600_comp_v001.mov"
    outside.parent.mkdir()
    outside.write_bytes(b"media from elsewhere")
    link = clean_delivery.folder / outside.name
    link.symlink_to(outside)
    target_before = snapshot(outside.parent)

    refused = onepiece(*BASE, str(clean_delivery.folder))
    assert refused.returncode == 4
    reason = problems_by_path(refused.stdout)[outside.name]
    assert "symlink points outside the delivery folder" in reason
    assert "--follow-symlinks" in reason

    followed = onepiece(*BASE, str(clean_delivery.folder), "--follow-symlinks")
    assert followed.returncode == 0, followed.stdout
    _, storage = stores
    key = f"FG/ep010/sc02/0600/comp/v001/{outside.name}"
    assert storage.get_bytes("vendor-in", key) == b"media from elsewhere"
    assert link.is_symlink()
    assert snapshot(outside.parent) == target_before


def _without_dac_override() -> list[str]:
    """A command prefix under which file permissions apply even to root."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: cannot make a file unreadable")
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search"]


def test_unreadable_file(clean_delivery: SampleDelivery, isolated_env: Path) -> None:
    locked = clean_delivery.folder / "FG_ep010_sc02_0500_comp_v001.mov"
    locked.write_bytes(b"secret")
    locked.chmod(0)
    try:
        result = subprocess.run(
            [
                *_without_dac_override(),
                sys.executable,
                "-m",
                "onepiece",
                *BASE,
                str(clean_delivery.folder),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        locked.chmod(0o644)
    assert result.returncode == 4, result.stderr
    reason = problems_by_path(result.stdout)[locked.name]
    assert reason == "cannot read the file: permission denied"
    assert json.loads(result.stdout)["counts"]["registered"] == 4


def test_bad_bucket_name_fails_before_anything_is_recorded(
    onepiece: Run, clean_delivery: SampleDelivery, isolated_env: Path
) -> None:
    result = onepiece(*BASE, str(clean_delivery.folder), "--vendor-bucket", "Bad_Bucket")
    assert result.returncode == 4
    assert "invalid bucket name 'Bad_Bucket'" in result.stderr
    assert not (isolated_env / "data").exists()


def test_report_inside_the_delivery_is_refused(
    onepiece: Run, clean_delivery: SampleDelivery, isolated_env: Path
) -> None:
    before = snapshot(clean_delivery.folder)
    report = clean_delivery.folder / "report.csv"
    result = onepiece(*BASE, str(clean_delivery.folder), "--dry-run", "--report-path", str(report))
    assert result.returncode == 4
    assert "would be written inside the delivery folder" in result.stderr
    assert snapshot(clean_delivery.folder) == before


@pytest.mark.parametrize(
    ("show_flag", "other_case"),
    [("FG", "fg_ep010_sc02_0010_comp_v002.mov"), ("FG", "Fg_ep010_sc02_0020_comp_v001.mov"),
     ("fg", "FG_ep010_sc02_0030_comp_v001.mov")],
)  # fmt: skip
def test_show_codes_match_case_sensitively(
    onepiece: Run, tmp_path: Path, show_flag: str, other_case: str
) -> None:
    """Issue 14 item 12: `fg_...` with `-s FG` became a second, lower-case Version."""
    folder = tmp_path / "delivery"
    folder.mkdir()
    same_case = f"{show_flag}_ep010_sc02_0010_comp_v001.mov"
    (folder / same_case).write_bytes(b"right case")
    (folder / other_case).write_bytes(b"other case")
    result = onepiece("ingest", str(folder), "-p", "demo", "-s", show_flag, "--format", "json")
    assert result.returncode == 4
    problems = problems_by_path(result.stdout)
    assert list(problems) == [other_case]
    assert f"does not match the show code {show_flag!r}" in problems[other_case]
    listed = onepiece("shotgrid", "versions", "list", "-p", "demo", "--format", "json")
    codes = [row["code"] for row in json.loads(listed.stdout)["versions"]]
    assert codes == [same_case.removesuffix(".mov")]


@pytest.mark.parametrize("stated", ["fg", "Fg"])
def test_a_manifest_show_in_another_case_is_a_problem(
    onepiece: Run, clean_delivery: SampleDelivery, stated: str
) -> None:
    rows = manifest_rows(clean_delivery.folder, clean_delivery.files)
    rows[0]["show"] = stated
    assert clean_delivery.manifest is not None
    write_manifest(clean_delivery.manifest, rows, "csv")
    result = onepiece(*BASE, str(clean_delivery.folder), "--manifest", str(clean_delivery.manifest))
    assert result.returncode == 4
    reasons = " ".join(problems_by_path(result.stdout).values())
    assert f"show {stated!r} does not match the show code 'FG'" in reasons


@pytest.mark.parametrize("where", ["/proc/r.csv", "FILE/r.csv", "FOLDER", "/proc/x/y/r.json"])
def test_unwritable_report_path_fails_before_anything_is_stored(
    onepiece: Run, clean_delivery: SampleDelivery, isolated_env: Path, tmp_path: Path, where: str
) -> None:
    """Issue 14.13: the report path is checked before any upload or registration."""
    (tmp_path / "FILE").write_text("a file, not a folder")
    (tmp_path / "FOLDER").mkdir()
    report = where if where.startswith("/") else str(tmp_path / where)
    result = onepiece(*BASE, str(clean_delivery.folder), "--report-path", report)
    assert result.returncode == 4, result.stderr
    assert report in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
    assert not (data_dir(isolated_env) / "storage").exists()
    assert not (data_dir(isolated_env) / "tracker.db").exists()
