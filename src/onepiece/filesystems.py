"""Which kind of filesystem holds a path: a local disk, or something reached over a network.

Parallel transfers pay off where each file waits on latency (NFS, SMB, a
cluster filesystem, S3), not on a local disk: there a transfer is CPU work
(hashing, Python per file), and threads beyond the cores only trade the GIL
and contend for the folder's lock in the kernel (docs/benchmarks.md). The
mount table says which is which on Linux; elsewhere nothing is known.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

MOUNTINFO = Path("/proc/self/mountinfo")

# Filesystems on a disk of this machine (or in its memory). Anything else,
# including FUSE (sshfs, s3fs, rclone...) and every network filesystem, is
# treated as remote: an unknown type keeps the latency-minded default.
LOCAL_TYPES = frozenset(
    {
        "ext2", "ext3", "ext4", "xfs", "btrfs", "zfs", "f2fs", "bcachefs", "jfs",
        "reiserfs", "tmpfs", "ramfs", "overlay", "vfat", "exfat", "ntfs3", "hfsplus",
        "apfs", "udf", "iso9660", "squashfs", "erofs",
    }
)  # fmt: skip

_ESCAPE = re.compile(r"\\([0-7]{3})")


def _unescape(field: str) -> str:
    """Mount points escape space, tab, newline and backslash as octal (\\040...)."""
    return _ESCAPE.sub(lambda match: chr(int(match.group(1), 8)), field)


def mount_types(mountinfo: str) -> dict[str, str]:
    """Mount point -> filesystem type, from the text of ``/proc/self/mountinfo``.

    A later mount over the same point hides an earlier one, as in the kernel.
    """
    mounts: dict[str, str] = {}
    for line in mountinfo.splitlines():
        before, separator, after = line.partition(" - ")
        fields = before.split()
        if not separator or len(fields) < 5 or not after.split():
            continue  # not a line of the format: ignored rather than guessed at
        mounts[_unescape(fields[4])] = after.split()[0]
    return mounts


def filesystem_type(path: Path, mounts: dict[str, str]) -> str | None:
    """The type of the filesystem holding ``path`` (its longest mount point), if known."""
    current = os.path.realpath(path)
    while True:
        found = mounts.get(current)
        if found is not None:
            return found
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent


def all_local(paths: Iterable[Path], mountinfo: Path = MOUNTINFO) -> bool:
    """True when every path is on a local filesystem; False when any is not, or unknown."""
    try:
        mounts = mount_types(mountinfo.read_text(errors="replace"))
    except OSError:
        return False  # not Linux, or no /proc: nothing is known
    return all(filesystem_type(path, mounts) in LOCAL_TYPES for path in paths)
