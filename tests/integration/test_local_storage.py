"""Local storage beyond the contract: atomicity, crash states, the on-disk layout."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import xxhash

from onepiece.adapters.storage.local.storage import LocalStorage, create
from onepiece.config import load_config
from onepiece.errors import IntegrityError, ObjectNotFound, StorageError, StorageUnavailable
from tests import file_opens

MIB = 1024 * 1024


@pytest.fixture(params=["attribute", "sidecar"])
def storage(tmp_path: Path, request: pytest.FixtureRequest) -> LocalStorage:
    """Each test on both places of the record (records.py): the data's attribute, a sidecar."""
    store = LocalStorage(tmp_path / "root", sidecars_only=request.param == "sidecar")
    store.ensure_bucket("vendor-in")
    return store


def files_under(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def with_records(storage: LocalStorage, *data: str) -> list[str]:
    """The files an object layout holds: the data, and each one's sidecar where records are."""
    sidecars = [str(Path(p).with_name(f".onepiece-meta.{Path(p).name}.json")) for p in data]
    return sorted([*data, *(sidecars if storage.sidecars_only else [])])


def test_a_failed_put_leaves_no_file_at_all(storage: LocalStorage, tmp_path: Path) -> None:
    source = tmp_path / "clip.mov"
    source.write_bytes(os.urandom(3 * MIB))

    with pytest.raises(IntegrityError):
        storage.put_file("vendor-in", "fg/clip.mov", source, expected_checksum="xxh3:" + "0" * 16)

    assert files_under(storage.root / "vendor-in") == []


def test_an_interrupted_put_leaves_no_file_at_all(storage: LocalStorage, tmp_path: Path) -> None:
    source = tmp_path / "clip.mov"
    source.write_bytes(os.urandom(20 * MIB))
    calls: list[int] = []

    def interrupt_after_first_chunk(sent: int) -> None:
        calls.append(sent)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        storage.put_file("vendor-in", "fg/clip.mov", source, progress=interrupt_after_first_chunk)

    assert len(calls) == 1
    assert files_under(storage.root / "vendor-in") == []


def test_data_replaced_behind_our_back_no_longer_counts_as_complete(
    storage: LocalStorage, tmp_path: Path
) -> None:
    """The state a crash between sidecar and data rename leaves: data and sidecar disagree."""
    storage.put_bytes("vendor-in", "a/frame.exr", b"original")
    other = tmp_path / "other.exr"
    other.write_bytes(b"replaced")  # same size, another file
    os.replace(other, storage.root / "vendor-in" / "a" / "frame.exr")

    with pytest.raises(ObjectNotFound):
        storage.head("vendor-in", "a/frame.exr")
    assert list(storage.list("vendor-in")) == []


def test_data_without_a_sidecar_is_not_an_object(storage: LocalStorage) -> None:
    stray = storage.root / "vendor-in" / "dropped-in.exr"
    stray.write_bytes(b"copied by hand")

    with pytest.raises(ObjectNotFound):
        storage.head("vendor-in", "dropped-in.exr")
    assert list(storage.list("vendor-in")) == []


def test_leftover_temp_files_are_not_listed(storage: LocalStorage) -> None:
    storage.put_bytes("vendor-in", "a/b.exr", b"x")
    (storage.root / "vendor-in" / "a" / ".onepiece-tmp-crashed").write_bytes(b"half")

    assert [info.key for info in storage.list("vendor-in")] == ["a/b.exr"]


def test_bit_rot_is_caught_on_get(storage: LocalStorage, tmp_path: Path) -> None:
    storage.put_bytes("vendor-in", "frame.exr", b"good data")
    path = storage.root / "vendor-in" / "frame.exr"
    stat = path.stat()
    with open(path, "r+b") as handle:  # same inode, size and mtime: only the bytes differ
        handle.write(b"BAD")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))

    with pytest.raises(IntegrityError, match="checksum mismatch"):
        storage.get_file("vendor-in", "frame.exr", tmp_path / "out.exr")
    assert not (tmp_path / "out.exr").exists()


def test_head_and_list_return_the_checksum_without_reading_data(
    storage: LocalStorage, tmp_path: Path
) -> None:
    data = os.urandom(MIB)
    source = tmp_path / "a.bin"
    source.write_bytes(data)
    storage.put_file("vendor-in", "x/a.bin", source)

    with file_opens.recording() as opened:
        listed = list(storage.list("vendor-in"))
        head = storage.head("vendor-in", "x/a.bin")

    assert [info.checksum for info in listed] == ["xxh3:" + xxhash.xxh3_64_hexdigest(data)]
    assert head == listed[0]
    assert str(storage.root / "vendor-in" / "x" / "a.bin") not in opened
    assert bool(opened) is storage.sidecars_only  # a sidecar was read


def test_layout_is_the_key_under_the_bucket_folder(storage: LocalStorage) -> None:
    storage.put_bytes("vendor-in", "fg/ep010/v001/clip.mov", b"x")

    assert files_under(storage.root / "vendor-in") == with_records(
        storage, "fg/ep010/v001/clip.mov"
    )
    assert storage.uri("vendor-in", "fg/ep010/v001/clip.mov") == (
        (storage.root / "vendor-in" / "fg/ep010/v001/clip.mov").as_uri()
    )


def test_a_key_cannot_sit_inside_another_object(storage: LocalStorage) -> None:
    storage.put_bytes("vendor-in", "a", b"file")

    with pytest.raises(StorageError, match="parent path is a file"):
        storage.put_bytes("vendor-in", "a/b", b"nested")


def test_deleting_prunes_empty_folders_so_the_name_is_free_again(storage: LocalStorage) -> None:
    storage.put_bytes("vendor-in", "a/b/c", b"deep")
    storage.delete("vendor-in", "a/b/c")

    storage.put_bytes("vendor-in", "a", b"now a file")

    assert storage.get_bytes("vendor-in", "a") == b"now a file"
    assert (storage.root / "vendor-in").is_dir()


def test_create_uses_the_configured_root(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ONEPIECE_STORAGE_ROOT", str(tmp_path / "studio-storage"))

    storage = create(load_config().settings)

    assert storage.root == tmp_path / "studio-storage"
    assert storage.ping() == f"local {tmp_path / 'studio-storage'} (created on first use)"


def test_default_root_is_under_the_data_dir(isolated_env: Path) -> None:
    storage = create(load_config().settings)

    assert storage.root == isolated_env / "data" / "onepiece" / "storage"


def test_ping_fails_when_the_root_cannot_be_a_folder(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_bytes(b"")

    with pytest.raises(StorageUnavailable, match="not a writable folder"):
        LocalStorage(blocker / "storage").ping()


def test_objects_and_downloads_get_the_usual_umask_mode(
    storage: LocalStorage, tmp_path: Path
) -> None:
    previous = os.umask(0o022)
    try:
        storage.put_bytes("vendor-in", "shared/frame.exr", b"x")
        storage.get_file("vendor-in", "shared/frame.exr", tmp_path / "out.exr")
    finally:
        os.umask(previous)

    stored = storage.root / "vendor-in" / "shared" / "frame.exr"
    assert stored.stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "out.exr").stat().st_mode & 0o777 == 0o644


WRITER = """
import sys
from pathlib import Path
from onepiece.adapters.storage.local.storage import LocalStorage
storage = LocalStorage(Path(sys.argv[1]), sidecars_only=sys.argv[3] == "1")
for _ in range(15):
    storage.put_file("vendor-in", "shot/v001.mov", Path(sys.argv[2]))
"""


def test_writers_in_separate_processes_leave_one_consistent_object(
    storage: LocalStorage, tmp_path: Path
) -> None:
    sources = []
    for index in range(3):
        sources.append(tmp_path / f"take{index}.mov")
        sources[-1].write_bytes(bytes([index]) * (512 * 1024))
    sidecars_only = "1" if storage.sidecars_only else "0"

    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(storage.root), str(source), sidecars_only]
        )
        for source in sources
    ]
    assert [writer.wait(timeout=120) for writer in writers] == [0, 0, 0]

    data = storage.get_bytes("vendor-in", "shot/v001.mov")  # verified against its checksum
    assert data in {source.read_bytes() for source in sources}
    assert files_under(storage.root / "vendor-in" / "shot") == with_records(storage, "v001.mov")


@pytest.mark.parametrize("root", ["/", "space and % in root/ç"])
@pytest.mark.parametrize("key", ["plain/v001/file.exr", "a b/ç%#?.exr", "é/日本/file name+&=.mov"])
def test_uri_is_the_data_paths_file_uri(root: str, key: str, tmp_path: Path) -> None:
    storage = LocalStorage(Path(root) if root == "/" else tmp_path / root)
    expected = (storage.root / "vendor_in" / key).as_uri()
    assert storage.uri("vendor_in", key) == expected


def test_a_store_written_with_sidecars_is_read_overwritten_and_deleted_by_this_release(
    tmp_path: Path,
) -> None:
    """Old stores stay readable: a sidecar object counts until an attributed one replaces it."""
    old = LocalStorage(tmp_path / "root", sidecars_only=True)
    old.ensure_bucket("vendor-in")
    old.put_bytes("vendor-in", "sh010/v001/a.exr", b"written by an earlier release")
    old.put_bytes("vendor-in", "sh010/v001/b.exr", b"kept")
    new = LocalStorage(tmp_path / "root")

    assert new.get_bytes("vendor-in", "sh010/v001/a.exr") == b"written by an earlier release"
    new.put_bytes("vendor-in", "sh010/v001/a.exr", b"replaced")
    assert new.get_bytes("vendor-in", "sh010/v001/a.exr") == b"replaced"
    assert [i.key for i in new.list("vendor-in")] == ["sh010/v001/a.exr", "sh010/v001/b.exr"]
    new.delete("vendor-in", "sh010/v001/a.exr")
    new.delete("vendor-in", "sh010/v001/b.exr")
    assert files_under(tmp_path / "root" / "vendor-in") == []


@pytest.mark.parametrize("through", ["put_bytes", "put_file", "an ingest's batch"])
def test_an_attributed_object_replacing_a_sidecar_one_leaves_no_stale_sidecar(
    tmp_path: Path, through: str
) -> None:
    """The replaced object's record goes with it, whichever way it is replaced."""
    old = LocalStorage(tmp_path / "root", sidecars_only=True)
    old.ensure_bucket("vendor-in")
    data = os.urandom(3000)  # an ingest replaces only the same content
    for key in ("sh010/v001/a.exr", "sh010/v001/b.exr"):
        old.put_bytes("vendor-in", key, data)
    new = LocalStorage(tmp_path / "root")
    source = tmp_path / "a.exr"
    source.write_bytes(data)

    if through == "put_bytes":
        new.put_bytes("vendor-in", "sh010/v001/a.exr", data)
    elif through == "put_file":
        new.put_file("vendor-in", "sh010/v001/a.exr", source)
    else:
        (committed,) = new.commit([new.stage_file("vendor-in", "sh010/v001/a.exr", source)])
        assert not isinstance(committed, Exception)

    assert files_under(new.root / "vendor-in" / "sh010") == [
        "v001/.onepiece-meta.b.exr.json",  # not replaced: its sidecar stays
        "v001/a.exr",
        "v001/b.exr",
    ]
    assert new.get_bytes("vendor-in", "sh010/v001/a.exr") == data
    assert old.get_bytes("vendor-in", "sh010/v001/b.exr") == data


def test_the_record_travels_with_its_data_so_a_preserving_copy_keeps_the_store(
    tmp_path: Path,
) -> None:
    """`cp -a` (attributes and times kept) moves a store whole; `cp -r` leaves nothing claimed."""
    store = LocalStorage(tmp_path / "root")
    store.ensure_bucket("vendor-in")
    info = store.put_bytes("vendor-in", "sh010/v001/a.exr", os.urandom(4096))
    subprocess.run(["cp", "-a", str(store.root), str(tmp_path / "kept")], check=True)
    subprocess.run(["cp", "-r", str(store.root), str(tmp_path / "bare")], check=True)

    assert LocalStorage(tmp_path / "kept").head("vendor-in", "sh010/v001/a.exr") == info
    with pytest.raises(ObjectNotFound):  # no record came along: not an object, never a wrong one
        LocalStorage(tmp_path / "bare").head("vendor-in", "sh010/v001/a.exr")
    assert files_under(store.root / "vendor-in") == ["sh010/v001/a.exr"]  # no second file


def test_data_rewritten_in_place_no_longer_counts_whatever_holds_the_record(
    storage: LocalStorage,
) -> None:
    storage.put_bytes("vendor-in", "a/frame.exr", b"original")
    path = storage.root / "vendor-in" / "a" / "frame.exr"
    with open(path, "r+b") as handle:  # same inode and size; the record stays on it
        handle.write(b"OVERWRIT")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1000))

    with pytest.raises(ObjectNotFound):
        storage.head("vendor-in", "a/frame.exr")


def test_a_link_planted_at_a_key_is_not_an_object_even_to_a_stored_one(
    storage: LocalStorage,
) -> None:
    storage.put_bytes("vendor-in", "a/real.exr", b"stored")
    (storage.root / "vendor-in" / "a" / "link.exr").symlink_to("real.exr")

    with pytest.raises(ObjectNotFound):
        storage.head("vendor-in", "a/link.exr")
    with pytest.raises(ObjectNotFound):
        storage.get_bytes("vendor-in", "a/link.exr")
    assert [info.key for info in storage.list("vendor-in")] == ["a/real.exr"]


@pytest.mark.parametrize(
    "damage",
    [{"metadata": 5}, {"metadata": ["a"]}, {"metadata": {"k": 1}}, {"checksum": 7}],
    ids=["metadata a number", "metadata a list", "a value not text", "checksum a number"],
)
def test_a_damaged_record_reads_as_absent_and_an_ingest_replaces_it(
    storage: LocalStorage, tmp_path: Path, damage: dict[str, object]
) -> None:
    """A record of the right size and time but the wrong shape is no record: no crash."""
    import json

    storage.put_bytes("vendor-in", "a/frame.exr", b"plate")
    path = storage.root / "vendor-in" / "a" / "frame.exr"
    sidecar = path.with_name(".onepiece-meta.frame.exr.json")
    if storage.sidecars_only:
        record = {**json.loads(sidecar.read_bytes()), **damage}
        sidecar.write_text(json.dumps(record))
    else:
        record = {**json.loads(os.getxattr(path, "user.onepiece.object")), **damage}
        os.setxattr(path, "user.onepiece.object", json.dumps(record).encode())
    source = tmp_path / "new.exr"
    source.write_bytes(b"fresh")

    with pytest.raises(ObjectNotFound):
        storage.head("vendor-in", "a/frame.exr")
    assert list(storage.list("vendor-in")) == []
    (result,) = storage.commit([storage.stage_file("vendor-in", "a/frame.exr", source)])
    assert storage.get_bytes("vendor-in", "a/frame.exr") == b"fresh"
    assert result == storage.head("vendor-in", "a/frame.exr")
