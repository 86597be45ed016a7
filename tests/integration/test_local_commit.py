"""Batched commits in local storage: the states a crash can leave, barriers, orphaned temp files.

A crash cannot be provoked here, so each test builds on disk a state that a
crash at some step of the commit can leave (local_commit.py), and checks
that readers see every object either absent or complete. The filesystem
flush is injected (``FileSystemFlusher(syncfs=...)``): a recording one looks
at the disk at each barrier, a failing one plays a disk that reports errors.
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from onepiece.adapters.storage.base import StagedObject
from onepiece.adapters.storage.local.commit import Pending
from onepiece.adapters.storage.local.layout import meta_path
from onepiece.adapters.storage.local.storage import LocalStorage
from onepiece.adapters.storage.local.sync import SYNCFS, FileSystemFlusher
from onepiece.errors import ObjectNotFound, StorageError

BUCKET = "vendor-in"


def real_syncfs() -> Callable[[int], int]:
    if SYNCFS is None:
        pytest.skip("syncfs is Linux only")
    return SYNCFS


def storage_with(
    root: Path, syncfs: Callable[[int], int] | None, *, sidecars_only: bool = False
) -> LocalStorage:
    store = LocalStorage(root, FileSystemFlusher(syncfs=syncfs), sidecars_only=sidecars_only)
    store.ensure_bucket(BUCKET)
    return store


@pytest.fixture
def sources(tmp_path: Path) -> list[Path]:
    folder = tmp_path / "src"
    folder.mkdir()
    paths = []
    for index in range(3):
        paths.append(folder / f"frame.{1001 + index}.exr")
        paths[-1].write_bytes(os.urandom(64 * 1024 + index))
    return paths


def stage_all(storage: LocalStorage, sources: list[Path]) -> list[StagedObject]:
    return [storage.stage_file(BUCKET, f"plates/{p.name}", p) for p in sources]


def pending(staged: StagedObject) -> Pending:
    assert isinstance(staged.handle, Pending)
    return staged.handle


def temp_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob(".onepiece-tmp-*") if p.is_file())


def test_staged_files_are_invisible_and_a_commit_makes_them_complete(
    tmp_path: Path, sources: list[Path]
) -> None:
    storage = storage_with(tmp_path / "root", real_syncfs())
    staged = stage_all(storage, sources)

    assert list(storage.list(BUCKET)) == []
    results = storage.commit(staged)

    assert results == [item.info for item in staged]
    for source, item in zip(sources, staged, strict=True):
        assert storage.get_bytes(BUCKET, item.info.key) == source.read_bytes()  # verified
    assert temp_files(storage.root) == []


@pytest.mark.parametrize("syncfs", ["syncfs", "fsync per file"])
def test_a_crash_before_the_first_barrier_leaves_nothing_that_counts(
    tmp_path: Path, sources: list[Path], syncfs: str
) -> None:
    """Staged, never committed; the unflushed data may be cut short: all absent."""
    storage = storage_with(tmp_path / "root", real_syncfs() if syncfs == "syncfs" else None)
    staged = stage_all(storage, sources)
    os.truncate(pending(staged[0]).temp, 10)  # what was on disk of a file not yet flushed

    after_reboot = LocalStorage(storage.root)

    assert list(after_reboot.list(BUCKET)) == []
    for item in staged:
        with pytest.raises(ObjectNotFound):
            after_reboot.head(BUCKET, item.info.key)


SIDECAR_STATES = ["missing", "empty", "torn", "written"]


@pytest.mark.parametrize("renamed", [False, True], ids=["rename lost", "rename kept"])
@pytest.mark.parametrize("sidecar", SIDECAR_STATES)
@pytest.mark.parametrize("records", ["attribute", "sidecar"])
def test_a_crash_between_the_barriers_leaves_each_object_absent_or_complete(
    tmp_path: Path, sources: list[Path], sidecar: str, renamed: bool, records: str
) -> None:
    """Past barrier 1 the data is on disk; sidecar and rename may or may not have landed.

    With the record an attribute of the data, it is on disk with the data at
    barrier 1: the object is complete once renamed, whatever a sidecar says.
    """
    storage = storage_with(tmp_path / "root", real_syncfs(), sidecars_only=records == "sidecar")
    (item,) = stage_all(storage, sources[:1])
    state = pending(item)  # its data, complete: what barrier 1 guarantees
    assert state.labelled is (records == "attribute")
    payload = json.dumps(state.record).encode()
    side = meta_path(state.destination)
    if sidecar != "missing":
        side.write_bytes({"empty": b"", "torn": payload[:-7], "written": payload}[sidecar])
    if renamed:
        os.replace(state.temp, state.destination)

    after_reboot = LocalStorage(storage.root)

    if renamed and (sidecar == "written" or records == "attribute"):
        assert after_reboot.get_bytes(BUCKET, item.info.key) == sources[0].read_bytes()
    else:
        with pytest.raises(ObjectNotFound):
            after_reboot.head(BUCKET, item.info.key)
        assert list(after_reboot.list(BUCKET)) == []


@pytest.mark.parametrize("records", ["attribute", "sidecar"])
def test_no_record_names_data_before_the_first_barrier_and_all_are_in_place_at_the_second(
    tmp_path: Path, sources: list[Path], records: str
) -> None:
    root = tmp_path / "root"
    syncfs = real_syncfs()
    seen: list[dict[str, bool]] = []

    def recording_syncfs(fd: int) -> int:
        # What a crash right now would leave: which keys read as complete objects.
        reader = LocalStorage(root)
        seen.append({p.name: _is_object(reader, p) for p in sources})
        return syncfs(fd)

    storage = storage_with(root, recording_syncfs, sidecars_only=records == "sidecar")
    staged = stage_all(storage, sources)
    storage.commit(staged)

    assert seen == [
        {p.name: False for p in sources},  # barrier 1: nothing names the data yet
        {p.name: True for p in sources},  # barrier 2: published; acknowledged after it
    ]


def _is_object(storage: LocalStorage, source: Path) -> bool:
    try:
        storage.head(BUCKET, f"plates/{source.name}")
    except ObjectNotFound:
        return False
    return True


def test_a_failed_first_barrier_commits_nothing_and_leaves_no_temp_file(
    tmp_path: Path, sources: list[Path]
) -> None:
    storage = storage_with(tmp_path / "root", lambda fd: errno.EIO)
    staged = stage_all(storage, sources)

    results = storage.commit(staged)

    assert all(isinstance(r, StorageError) and "Input/output" in r.message for r in results)
    assert list(storage.list(BUCKET)) == []
    assert temp_files(storage.root) == []


def test_a_failed_second_barrier_is_not_acknowledged_but_leaves_complete_objects(
    tmp_path: Path, sources: list[Path]
) -> None:
    syncfs = real_syncfs()
    calls: list[int] = []

    def second_call_fails(fd: int) -> int:
        calls.append(fd)
        return errno.EIO if len(calls) == 2 else syncfs(fd)

    storage = storage_with(tmp_path / "root", second_call_fails)
    staged = stage_all(storage, sources)

    results = storage.commit(staged)

    assert all(isinstance(r, StorageError) for r in results)
    assert [info.key for info in storage.list(BUCKET)] == sorted(s.info.key for s in staged)


def test_an_object_found_stored_is_flushed_by_the_commit_it_joins(
    tmp_path: Path, sources: list[Path]
) -> None:
    """A resumed run acknowledges what a killed run published: it is flushed first."""
    syncfs = real_syncfs()
    flushed: list[int] = []
    storage = storage_with(tmp_path / "root", lambda fd: flushed.append(fd) or syncfs(fd))
    info = storage.put_file(BUCKET, "plates/a.exr", sources[0])  # no batch: fsyncs only
    assert flushed == []

    assert storage.commit([StagedObject(storage.head(BUCKET, "plates/a.exr"))]) == [info]
    assert len(flushed) == 2
    storage.discard([StagedObject(info)])  # nothing to undo for a stored object
    assert storage.get_bytes(BUCKET, "plates/a.exr") == sources[0].read_bytes()


KILLED_WRITER = """
import os, sys
from pathlib import Path
from onepiece.adapters.storage.local.storage import LocalStorage
storage = LocalStorage(Path(sys.argv[1]))
storage.stage_file("vendor-in", "plates/frame.1001.exr", Path(sys.argv[2]))
os._exit(0)  # like kill -9: no commit, no clean-up, the kernel drops the owner lock
"""


def test_temp_files_of_a_killed_writer_are_swept_but_a_live_writers_are_kept(
    tmp_path: Path, sources: list[Path]
) -> None:
    root = tmp_path / "root"
    live = storage_with(root, real_syncfs())
    live_staged = live.stage_file(BUCKET, "plates/live.exr", sources[1])
    subprocess.run([sys.executable, "-c", KILLED_WRITER, str(root), str(sources[0])], check=True)
    orphans = set(temp_files(root)) - {pending(live_staged).temp}
    assert len(orphans) == 1

    later = storage_with(root, real_syncfs())  # the resumed run
    later.commit([later.stage_file(BUCKET, "plates/frame.1001.exr", sources[0])])

    assert temp_files(root) == [pending(live_staged).temp]
    assert live.commit([live_staged]) == [live_staged.info]
    # The dead writer's lock file went with its temps; the two live writers keep theirs.
    assert len(list((root / BUCKET).glob(".onepiece-owner-*.lock"))) == 2


def test_without_syncfs_a_batch_is_committed_with_fsyncs_per_file(
    tmp_path: Path, sources: list[Path]
) -> None:
    storage = storage_with(tmp_path / "root", None)
    staged = stage_all(storage, sources)

    assert all(pending(item).device is None for item in staged)
    assert storage.commit(staged) == [item.info for item in staged]
    assert [i.key for i in storage.list(BUCKET)] == sorted(s.info.key for s in staged)


def test_a_folder_at_a_staged_key_fails_that_object_alone_and_keeps_the_folder(
    tmp_path: Path, sources: list[Path]
) -> None:
    storage = storage_with(tmp_path / "root", real_syncfs())
    storage.put_bytes(BUCKET, f"plates/{sources[0].name}/inside.exr", b"other object")
    staged = stage_all(storage, sources)

    results = storage.commit(staged)

    assert isinstance(results[0], StorageError)
    assert "a folder of other objects is there" in results[0].message
    assert results[1:] == [item.info for item in staged[1:]]
    assert storage.get_bytes(BUCKET, f"plates/{sources[0].name}/inside.exr") == b"other object"
    assert temp_files(storage.root) == []


def test_a_batch_never_makes_a_bucket_that_went_away(tmp_path: Path, sources: list[Path]) -> None:
    """A batch looks its bucket up once, not per file; a bucket removed during
    the run is still refused (never silently made again) as soon as a file
    needs a folder in it, and one made again is written to."""
    storage = storage_with(tmp_path / "root", None)
    storage.commit([storage.stage_file(BUCKET, "sh010/plates/a.exr", sources[0])])
    bucket = storage.root / BUCKET
    subprocess.run(["rm", "-r", str(bucket)], check=True)

    with pytest.raises(ObjectNotFound, match="does not exist"):
        storage.stage_file(BUCKET, "sh020/plates/b.exr", sources[1])
    with pytest.raises(ObjectNotFound, match="does not exist"):  # the folder it had is gone too
        storage.stage_file(BUCKET, "sh010/plates/c.exr", sources[1])
    assert not bucket.exists()

    storage.ensure_bucket(BUCKET)
    storage.commit([storage.stage_file(BUCKET, "sh020/plates/b.exr", sources[1])])
    assert storage.get_bytes(BUCKET, "sh020/plates/b.exr") == sources[1].read_bytes()
