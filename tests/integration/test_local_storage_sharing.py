"""Local storage shared by several users and writers: permissions, locks, odd keys, big records.

A studio's storage is one folder tree many accounts write into. The tests
that need two users fork a child that takes another uid (they need root, as
CI runs them; elsewhere they are skipped).
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from onepiece.adapters.storage.local.storage import LocalStorage, create
from onepiece.config import load_config
from onepiece.errors import ObjectConflict, StorageError

BUCKET = "vendor-in"
RECORDS = pytest.mark.parametrize("sidecars_only", [False, True], ids=["attribute", "sidecar"])
needs_root = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0, reason="switching users needs root"
)


def shared_store(sidecars_only: bool) -> LocalStorage:
    """A store every account may write (pytest's own tmp_path is private to root)."""
    import tempfile

    root = Path(tempfile.mkdtemp(prefix="onepiece-shared-"))
    root.chmod(0o777)
    store = LocalStorage(root, sidecars_only=sidecars_only)
    store.ensure_bucket(BUCKET)
    (root / BUCKET).chmod(0o777)
    return store


def as_user(uid: int, umask: int, work: Callable[[], None]) -> int:
    """Run ``work`` in a child process as ``uid``; its exit status (0: no exception)."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            os.setgid(uid)
            os.setuid(uid)
            os.umask(umask)
            work()
        except BaseException:  # noqa: BLE001 - any failure is the child's exit status
            os._exit(1)
        os._exit(0)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


@needs_root
@RECORDS
def test_an_ingest_never_replaces_an_object_whose_record_it_cannot_read(
    sidecars_only: bool,
) -> None:
    """Another account's 0600 object: its record is unreadable, so it is not "absent"."""
    store = shared_store(sidecars_only)
    source = store.root / "theirs.exr"
    source.write_bytes(b"other content")
    source.chmod(0o644)

    def first_user() -> None:
        LocalStorage(store.root, sidecars_only=sidecars_only).put_bytes(BUCKET, "k.exr", b"plate")

    def second_user() -> None:
        other = LocalStorage(store.root, sidecars_only=sidecars_only)
        (result,) = other.commit([other.stage_file(BUCKET, "k.exr", source)])
        assert isinstance(result, StorageError)  # refused: nothing replaced

    assert as_user(1000, 0o077, first_user) == 0
    assert as_user(1001, 0o022, second_user) == 0
    assert store.get_bytes(BUCKET, "k.exr") == b"plate"


@needs_root
@RECORDS
def test_a_drop_folder_its_writers_cannot_list_still_takes_puts_and_deletes(
    sidecars_only: bool,
) -> None:
    store = shared_store(sidecars_only)
    drop = store.root / BUCKET / "drop"
    drop.mkdir()
    drop.chmod(0o733)  # others may add and remove files, not list them

    def writer() -> None:
        mine = LocalStorage(store.root, sidecars_only=sidecars_only)
        mine.put_bytes(BUCKET, "drop/note.txt", b"hello")
        assert mine.get_bytes(BUCKET, "drop/note.txt") == b"hello"
        mine.delete(BUCKET, "drop/note.txt")

    assert as_user(1001, 0o022, writer) == 0
    assert list(store.list(BUCKET)) == []


def wait_for_a_waiter(inode: int) -> None:
    """Until some flock waits on ``inode`` (Linux lists waiters as ``->`` in /proc/locks)."""
    import time

    locks = Path("/proc/locks")
    if not locks.exists():
        pytest.skip("no /proc/locks to see the waiter")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for line in locks.read_text().splitlines():
            fields = line.split()
            if (
                "->" in fields
                and "FLOCK" in fields
                and any(f.endswith(f":{inode}") for f in fields)
            ):
                return
        time.sleep(0.01)
    raise AssertionError("the delete never waited on the folder's lock")


@RECORDS
def test_a_delete_waiting_on_a_folder_made_again_locks_the_new_one(
    tmp_path: Path, sidecars_only: bool
) -> None:
    """The folder it waited on was pruned and made again: a writer holding the
    new folder's lock is not bypassed."""
    store = LocalStorage(tmp_path / "root", sidecars_only=sidecars_only)
    store.ensure_bucket(BUCKET)
    folder = store.root / BUCKET / "a"
    folder.mkdir()
    old = os.open(folder, os.O_RDONLY)
    fcntl.flock(old, fcntl.LOCK_EX)
    deleter = threading.Thread(target=store.delete, args=(BUCKET, "a/k.exr"))
    deleter.start()
    wait_for_a_waiter(os.fstat(old).st_ino)
    folder.rmdir()  # pruned by another delete, made again by a put
    store.put_bytes(BUCKET, "a/k.exr", b"new")
    new = os.open(folder, os.O_RDONLY)
    fcntl.flock(new, fcntl.LOCK_EX)  # a writer inside its publish
    try:
        os.close(old)  # the deleter gets the lock of a folder that is gone
        deleter.join(timeout=0.5)
        assert deleter.is_alive()  # waiting on the folder that is there now
        assert store.get_bytes(BUCKET, "a/k.exr") == b"new"
    finally:
        os.close(new)
    deleter.join(timeout=30)
    assert not deleter.is_alive()
    assert list(store.list(BUCKET)) == []


@RECORDS
@pytest.mark.parametrize(
    "metadata",
    [{"note": "\\" * 2040}, {f"k{index:03d}": "" for index in range(500)}],
    ids=["escaped value", "many keys"],
)
def test_metadata_too_large_for_one_attribute_is_still_stored(
    tmp_path: Path, sidecars_only: bool, metadata: dict[str, str]
) -> None:
    store = LocalStorage(tmp_path / "root", sidecars_only=sidecars_only)
    store.ensure_bucket(BUCKET)
    source = tmp_path / "frame.exr"
    source.write_bytes(b"pixels")

    single = store.put_file(BUCKET, "one/frame.exr", source, metadata=metadata)
    (batched,) = store.commit(
        [store.stage_file(BUCKET, "two/frame.exr", source, metadata=metadata)]
    )

    assert single.metadata["note" if "note" in metadata else "k000"] == next(
        iter(metadata.values())
    )
    assert store.head(BUCKET, "two/frame.exr") == batched
    assert store.get_bytes(BUCKET, "one/frame.exr") == b"pixels"


@RECORDS
def test_an_ingest_never_writes_through_or_over_a_link_at_its_key(
    tmp_path: Path, sidecars_only: bool
) -> None:
    store = LocalStorage(tmp_path / "root", sidecars_only=sidecars_only)
    store.ensure_bucket(BUCKET)
    store.put_bytes(BUCKET, "shots/real/plate.exr", b"kept")
    store.put_bytes(BUCKET, "shots/file.exr", b"kept too")
    (store.root / BUCKET / "shots" / "to-folder").symlink_to("real")
    (store.root / BUCKET / "shots" / "to-file").symlink_to("file.exr")
    source = tmp_path / "new.exr"
    source.write_bytes(b"delivered")

    folder_link, file_link = store.commit(
        [store.stage_file(BUCKET, f"shots/{name}", source) for name in ("to-folder", "to-file")]
    )

    assert isinstance(folder_link, StorageError)
    assert "a folder of other objects is there" in folder_link.message  # as put_file says
    assert isinstance(file_link, ObjectConflict)
    assert (store.root / BUCKET / "shots" / "to-folder").is_symlink()
    assert (store.root / BUCKET / "shots" / "to-file").is_symlink()
    assert store.get_bytes(BUCKET, "shots/file.exr") == b"kept too"


def test_records_can_be_kept_in_sidecars_by_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """During a rolling upgrade, hosts of the earlier release read only sidecars."""
    monkeypatch.setenv("ONEPIECE_STORAGE_ROOT", str(tmp_path / "root"))
    monkeypatch.setenv("ONEPIECE_STORAGE_RECORDS", "sidecar")
    store = create(load_config().settings)
    store.ensure_bucket(BUCKET)

    store.put_bytes(BUCKET, "a/frame.exr", b"x")

    assert (store.root / BUCKET / "a" / ".onepiece-meta.frame.exr.json").is_file()
