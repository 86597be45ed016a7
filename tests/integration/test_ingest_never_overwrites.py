"""Nothing registered is ever overwritten, whoever wrote it: another project
sharing the bucket and show, a concurrent run of other bytes under the same
names, or a redelivery adding frames to a registered sequence. The stored
bytes stay the first ones, the later run reports a conflict (exit 6), and the
tracker and storage still agree."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from onepiece.adapters.storage.local.storage import LocalStorage
from onepiece.errors import ObjectConflict
from tests.cli_process import run_onepiece

CLIP = "FG_ep010_sc01_0001_comp_v001.mov"
STORED = Path("storage/vendor-in/FG/ep010/sc01/0001/comp/v001") / CLIP


def _onepiece(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_onepiece(tmp_path / "data", *args)


def _delivery(folder: Path, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    return folder


@pytest.mark.parametrize("second_project", ["projB", "projA"])
def test_other_bytes_under_a_stored_name_are_a_conflict_in_any_project(
    tmp_path: Path, second_project: str
) -> None:
    first = _delivery(tmp_path / "a", {CLIP: os.urandom(4000)})
    other = _delivery(tmp_path / "b", {CLIP: os.urandom(4000)})
    ingest = ("-s", "FG", "--no-review-media")
    assert _onepiece(tmp_path, "ingest", str(first), "-p", "projA", *ingest).returncode == 0
    again = _onepiece(tmp_path, "ingest", str(other), "-p", second_project, *ingest)
    assert again.returncode == 6, again.stdout + again.stderr
    assert "not overwritten" in again.stdout + again.stderr
    assert (tmp_path / "data" / STORED).read_bytes() == (first / CLIP).read_bytes()
    verify = _onepiece(tmp_path, "validate", "reconcile", "-p", "projA", "--verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_frames_added_to_a_registered_sequence_are_not_written(tmp_path: Path) -> None:
    name = "plates/FG_ep010_sc01_0900_plate_v001.{}.exr"
    frames = {name.format(f): os.urandom(3000) for f in range(1001, 1011)}
    first = _delivery(tmp_path / "a", frames)
    longer = _delivery(tmp_path / "b", {**frames, **{name.format(f): os.urandom(3000)
                                                     for f in (1011, 1012)}})  # fmt: skip
    ingest = ("-p", "demo", "-s", "FG", "--no-review-media")
    assert _onepiece(tmp_path, "ingest", str(first), *ingest).returncode == 0
    again = _onepiece(tmp_path, "ingest", str(longer), *ingest)
    assert again.returncode == 6, again.stdout + again.stderr
    stored = tmp_path / "data" / "storage/vendor-in/FG/ep010/sc01/0900/plate/v001"
    assert not [p for p in stored.iterdir() if ".1011." in p.name or ".1012." in p.name]
    verify = _onepiece(tmp_path, "validate", "reconcile", "-p", "demo", "--verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr


@pytest.mark.parametrize("same", [False, True], ids=["other bytes", "same bytes"])
def test_a_commit_never_replaces_other_bytes_stored_since_its_staging(
    tmp_path: Path, same: bool
) -> None:
    """Two runs staged before either committed (the race no lookup can close):
    the later commit is refused under the key's lock, unless it is the same file."""
    storage = LocalStorage(tmp_path / "root")
    storage.ensure_bucket("vendor-in")
    mine, theirs = tmp_path / "mine.mov", tmp_path / "theirs.mov"
    mine.write_bytes(os.urandom(5000))
    theirs.write_bytes(mine.read_bytes() if same else os.urandom(5000))
    staged = storage.stage_file("vendor-in", "FG/v001/clip.mov", mine)
    (landed,) = storage.commit([storage.stage_file("vendor-in", "FG/v001/clip.mov", theirs)])
    assert not isinstance(landed, Exception)
    (result,) = storage.commit([staged])
    if same:
        assert not isinstance(result, Exception)
    else:
        assert isinstance(result, ObjectConflict) and "not overwritten" in result.message
    assert storage.get_bytes("vendor-in", "FG/v001/clip.mov") == theirs.read_bytes()
    leftovers = [p.name for p in (tmp_path / "root/vendor-in/FG/v001").iterdir()]
    assert not [n for n in leftovers if n.startswith(".onepiece-tmp")], leftovers
