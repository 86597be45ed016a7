"""Helpers for the ingest tests (integration and e2e): samples, stores, snapshots.

Fixtures are exposed by tests/integration/conftest.py and tests/e2e/conftest.py.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from onepiece.adapters.storage.base import Storage
from onepiece.adapters.storage.local.storage import LocalStorage
from onepiece.adapters.trackers.local.tracker import LocalTracker
from onepiece.domain.entities import Version
from onepiece.samples import SampleDelivery, make_delivery

CLIP = "FG_ep010_sc02_0010_comp_v001.mov"
SEQUENCE = "FG_ep010_sc02_0100_plate_v001"


def snapshot(folder: Path) -> dict[str, tuple[int, int, int]]:
    """Every entry under ``folder`` (not following links): size, mtime and mode."""
    entries: dict[str, tuple[int, int, int]] = {}
    for dirpath, dirnames, filenames in os.walk(os.fsencode(folder)):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            info = os.lstat(path)
            key = os.fsdecode(os.path.relpath(path, os.fsencode(folder)))
            entries[key] = (info.st_size, info.st_mtime_ns, info.st_mode)
    return entries


def data_dir(home: Path) -> Path:
    """Where the isolated environment's XDG_DATA_HOME puts OnePiece's data."""
    return home / "data" / "onepiece"


def recorded_runs(onepiece_data: Path) -> list[dict[str, Any]]:
    """The ingest runs in the default state database of a data directory, oldest first."""
    from onepiece.state.db.engine import create_state_engine
    from onepiece.state.db.records import SqlIngestRunStore

    assert (onepiece_data / "state.db").exists(), f"no state.db in {onepiece_data}"
    engine = create_state_engine(f"sqlite:///{onepiece_data / 'state.db'}")
    try:
        return SqlIngestRunStore(engine).runs()
    finally:
        engine.dispose()


def record_runs(onepiece_data: Path, runs: list[dict[str, Any]]) -> None:
    """Write ``runs`` as another process would: into the data directory's state.db."""
    from onepiece.state.db.engine import create_state_engine
    from onepiece.state.db.migrate import upgrade
    from onepiece.state.db.records import SqlIngestRunStore

    onepiece_data.mkdir(parents=True, exist_ok=True)
    engine = create_state_engine(f"sqlite:///{onepiece_data / 'state.db'}")
    try:
        upgrade(engine)
        store = SqlIngestRunStore(engine)
        for run in runs:
            store.save(run)
    finally:
        engine.dispose()


def local_stores(home: Path) -> tuple[LocalTracker, LocalStorage]:
    return LocalTracker(data_dir(home) / "tracker.db"), LocalStorage(data_dir(home) / "storage")


def versions_by_code(tracker: LocalTracker, project: str = "demo") -> dict[str, Version]:
    found = tracker.list_versions(project)
    codes = [v.code for v in found]
    assert len(codes) == len(set(codes)), f"duplicated versions: {codes}"
    return {v.code: v for v in found}


def expected_key(path: Path) -> str:
    """Default layout key of a sample file: show/ep/scene/shot/asset/vNNN/name."""
    show, episode, scene, shot, asset, version = path.name.split(".")[0].split("_")
    return f"{show}/{episode}/{scene}/{shot}/{asset}/{version}/{path.name}"


def assert_all_stored_and_verified(
    storage: Storage, bucket: str, files: list[Path], skip: frozenset[str] = frozenset()
) -> None:
    """Each file is in storage under its key, with a checksum that verifies on read."""
    for path in files:
        if path.name in skip:
            continue
        data = storage.get_bytes(bucket, expected_key(path))  # raises IntegrityError if bad
        assert data == path.read_bytes(), path.name
        assert storage.head(bucket, expected_key(path)).checksum


@pytest.fixture
def sample_delivery(tmp_path: Path) -> SampleDelivery:
    """Three short clips, a 12-frame EXR sequence missing 1005-1007, a CSV manifest
    with one deliberately wrong md5 (on the first clip)."""
    return make_delivery(tmp_path / "delivery", clip_seconds=0.5)


@pytest.fixture
def clean_delivery(tmp_path: Path) -> SampleDelivery:
    """The same delivery with a correct manifest."""
    return make_delivery(tmp_path / "delivery", clip_seconds=0.5, checksum_error=False)


@pytest.fixture
def stores(isolated_env: Path) -> Iterator[tuple[LocalTracker, LocalStorage]]:
    tracker, storage = local_stores(isolated_env)
    try:
        yield tracker, storage
    finally:
        tracker.close()
