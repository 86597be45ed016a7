"""Local or remote filesystems from the mount table, and the ingest's default parallelism."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from onepiece.config import Settings
from onepiece.filesystems import MOUNTINFO, all_local, filesystem_type, mount_types
from onepiece.services.ingest.options import default_workers, options_from_settings

# The format of proc(5): optional fields before " - ", escaped mount points.
SAMPLE = """\
22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
30 22 0:40 / /mnt/show\\040media rw,relatime shared:7 master:2 - nfs4 fs:/media rw,vers=4.2
31 22 0:41 / /mnt/scratch rw - xfs /dev/sdb1 rw
32 31 0:42 / /mnt/scratch/remote rw - fuse.sshfs user@host: rw
33 22 0:43 / /mnt/over rw - ext4 /dev/sdc1 rw
34 22 0:44 / /mnt/over rw - cifs //nas/share rw
not a mount line
"""


def test_the_longest_mount_point_holding_a_path_gives_its_type() -> None:
    mounts = mount_types(SAMPLE)
    assert filesystem_type(Path("/home/artist/delivery"), mounts) == "ext4"
    assert filesystem_type(Path("/mnt/show media/FG/plates"), mounts) == "nfs4"
    assert filesystem_type(Path("/mnt/scratch/frames"), mounts) == "xfs"
    assert filesystem_type(Path("/mnt/scratch/remote/in"), mounts) == "fuse.sshfs"
    assert filesystem_type(Path("/mnt/over/x"), mounts) == "cifs"  # the later mount hides
    assert filesystem_type(Path("/mnt/scratchy"), mounts) == "ext4"  # a prefix is not a parent
    assert filesystem_type(Path("/x"), {}) is None


@pytest.mark.parametrize(
    ("paths", "local"),
    [
        (["/srv/in", "/mnt/scratch/store"], True),
        (["/mnt/show media/in", "/mnt/scratch/store"], False),  # delivery on NFS
        (["/srv/in", "/mnt/over/store"], False),  # storage on SMB
        (["/srv/in", "/mnt/scratch/remote/store"], False),  # FUSE: treated as remote
        ([], True),
    ],
)
def test_paths_count_as_local_only_when_every_one_is_on_a_local_disk(
    tmp_path: Path, paths: list[str], local: bool
) -> None:
    table = tmp_path / "mountinfo"
    table.write_text(SAMPLE)
    assert all_local([Path(p) for p in paths], table) is local


def test_an_unreadable_mount_table_knows_nothing(tmp_path: Path) -> None:
    assert all_local([tmp_path], tmp_path / "missing") is False


@pytest.mark.skipif(not MOUNTINFO.exists() or not shutil.which("findmnt"), reason="Linux only")
def test_this_machines_mount_table_agrees_with_findmnt(tmp_path: Path) -> None:
    mounts = mount_types(MOUNTINFO.read_text())
    for path in (tmp_path, Path("/proc/self"), Path(os.path.expanduser("~"))):
        found = subprocess.run(
            ["findmnt", "-n", "-o", "FSTYPE", "--target", str(path)],
            capture_output=True, text=True, check=True,
        ).stdout.split()  # fmt: skip
        assert filesystem_type(path, mounts) == found[-1]


def test_ingests_between_local_disks_default_to_one_worker_per_core(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not all_local([tmp_path]):
        pytest.skip("the test folder is not on a local disk here")
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    assert default_workers("local", [tmp_path, tmp_path / "store"]) == 2
    assert default_workers("local") == 8  # nothing known: a few per core, as before
    assert default_workers("s3", [tmp_path]) == 16
    monkeypatch.setattr(os, "cpu_count", lambda: 64)
    assert default_workers("local", [tmp_path]) == 32
    settings = Settings(project="demo", show_code="FG", storage={"root": tmp_path / "store"})
    assert options_from_settings(settings, tmp_path).workers == 32
    chosen = settings.ingest.model_copy(update={"workers": 3})
    settings = settings.model_copy(update={"ingest": chosen})
    assert options_from_settings(settings, tmp_path).workers == 3  # a setting always wins
