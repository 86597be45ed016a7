"""Every manifest checksum is checked on every run, whether the file is stored already or not.

A re-ingest of a stored delivery with a wrong manifest checksum is a mismatch,
exactly as the same manifest is into a fresh bucket: on local storage and S3,
for CSV and JSON manifests and every checksum algorithm manifests accept.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from onepiece.adapters.storage.base import Storage
from onepiece.adapters.storage.local.storage import LocalStorage
from onepiece.adapters.storage.s3.storage import S3Storage
from onepiece.adapters.trackers.local.tracker import LocalTracker
from onepiece.domain.checksums import ALGORITHMS
from onepiece.domain.ingest_plan import FileStatus
from onepiece.errors import IntegrityError
from onepiece.samples import filler_delivery, write_manifest
from onepiece.services.ingest.options import IngestOptions
from onepiece.services.ingest.service import IngestResult, run_ingest
from onepiece.state.ingest_runs import IngestRunRegistry
from tests.s3_endpoint import unique_bucket


@dataclass
class Services:
    tracker: LocalTracker
    storage: Storage


@pytest.fixture
def tracker(tmp_path: Path) -> Iterator[LocalTracker]:
    tracker = LocalTracker(tmp_path / "tracker.db")
    yield tracker
    tracker.close()


@pytest.fixture(params=["local", "s3"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Storage:
    if request.param == "local":
        return LocalStorage(tmp_path / "storage")
    url = request.getfixturevalue("s3_endpoint_url")
    return S3Storage(endpoint_url=url, region="us-east-1")


def _digest(algorithm: str, data: bytes) -> str:
    import hashlib

    import xxhash

    if algorithm == "xxh3":
        return xxhash.xxh3_64(data).hexdigest()
    return hashlib.new(algorithm, data).hexdigest()


def _manifest(folder: Path, files: list[Path], path: Path, algorithm: str, bad: set[Path]) -> Path:
    rows = []
    for file in sorted(files):
        show, episode, scene, shot, asset, version = file.name.split(".")[0].split("_")
        digest = _digest(algorithm, file.read_bytes())
        if file in bad:  # one digit off
            digest = digest[:-1] + ("0" if digest[-1] != "0" else "1")
        rows.append(
            {
                "show": show,
                "episode": episode,
                "scene": scene,
                "shot": shot,
                "asset": asset,
                "version": version,
                "source_path": "",
                "delivery_path": file.relative_to(folder).as_posix(),
                "checksum": f"{algorithm}:{digest}",
            }
        )
    write_manifest(path, rows, "json" if path.suffix == ".json" else "csv")
    return path


def _ingest(
    folder: Path, bucket: str, manifest: Path, services: Services, registry: IngestRunRegistry
) -> IngestResult:
    options = IngestOptions(
        folder=folder, project="demo", show="FG", bucket=bucket, manifest=manifest, workers=2
    )
    return run_ingest(options, services, registry)


def _mismatched(result: IngestResult) -> set[str]:
    return {row.path for row in result.plan.files if row.status is FileStatus.MISMATCH}


@pytest.mark.parametrize("kind", ["csv", "json"])
@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("ingest_algorithm", ["xxh3", "md5"])
def test_rerun_with_a_wrong_manifest_checksum_is_a_mismatch(
    tmp_path: Path,
    tracker: LocalTracker,
    storage: Storage,
    kind: str,
    algorithm: str,
    ingest_algorithm: str,
) -> None:
    folder = tmp_path / "delivery"
    files = filler_delivery(folder, large_files=2, large_size=4096, frames=10, frame_size=1024)
    clip, frame = files[0], files[-1]  # a single-file Version and a frame of a sequence
    registry = IngestRunRegistry(tmp_path / "runs.json")
    bucket = unique_bucket("rerun")
    services = Services(tracker, storage)
    good = _manifest(folder, files, tmp_path / f"good.{kind}", algorithm, set())
    first = run_ingest(
        IngestOptions(
            folder=folder,
            project="demo",
            show="FG",
            bucket=bucket,
            manifest=good,
            workers=2,
            checksum=ingest_algorithm,
        ),
        services,
        registry,
    )
    assert first.error is None, first.summary()["problems"]

    wrong = _manifest(folder, files, tmp_path / f"wrong.{kind}", algorithm, {clip, frame})
    again = _ingest(folder, bucket, wrong, services, registry)
    fresh = _ingest(folder, unique_bucket("fresh"), wrong, services, registry)

    wanted = {clip.relative_to(folder).as_posix(), frame.relative_to(folder).as_posix()}
    assert _mismatched(fresh) == wanted
    assert _mismatched(again) == wanted
    assert isinstance(again.error, IntegrityError)
    assert again.status == "failed"
    run = registry.get(again.run_id or "")
    assert run["status"] == "failed"
    # Nothing stored was touched: the stored objects are still the delivered bytes.
    for path in (clip, frame):
        name = path.name
        show, episode, scene, shot, asset, version = name.split(".")[0].split("_")
        key = f"{show}/{episode}/{scene}/{shot}/{asset}/{version}/{name}"
        assert storage.get_bytes(bucket, key) == path.read_bytes()


@pytest.mark.parametrize("backend", ["local", "s3"])
def test_cli_rerun_with_a_wrong_manifest_exits_5(
    tmp_path: Path, isolated_env: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    import json
    import os
    import subprocess
    import sys

    env = dict(os.environ)
    if backend == "s3":
        endpoint = request.getfixturevalue("s3_server")
        env |= {**endpoint.env(), "ONEPIECE_INGEST_VENDOR_BUCKET": unique_bucket("cli")}
    folder = tmp_path / "delivery"
    files = filler_delivery(folder, large_files=1, large_size=4096, frames=3, frame_size=1024)
    good = _manifest(folder, files, tmp_path / "good.csv", "md5", set())
    wrong = _manifest(folder, files, tmp_path / "wrong.json", "sha256", {files[0]})

    def ingest(manifest: Path) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "onepiece", "ingest", str(folder), "-p", "demo"]
        command += ["-s", "FG", "--manifest", str(manifest), "--format", "json"]
        return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)

    assert ingest(good).returncode == 0
    rerun = ingest(wrong)

    assert rerun.returncode == 5, rerun.stderr
    summary = json.loads(rerun.stdout)
    assert summary["counts"]["mismatched"] == 1
    assert summary["counts"]["skipped"] == len(files) - 1
