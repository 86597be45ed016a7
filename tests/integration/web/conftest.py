"""Web fixtures: settings with tokens, a tracker double with a small show, app factories."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from onepiece.bootstrap import Container
from onepiece.config import Settings
from onepiece.domain.entities import Episode, Shot, Version
from onepiece.state.db.ports import ProjectSnapshot
from onepiece.web.app import create_app
from tests.tracker_double import RecordingTracker
from tests.web_server import live_server  # noqa: F401 - fixture re-exported for web tests

ADMIN_TOKEN = "admin-7f3c2e9a41"
READ_TOKEN = "reader-b81d55e0c2"


def make_settings(data_dir: Path, **sections: Any) -> Settings:
    trafalgar = {"dashboard_token": ADMIN_TOKEN, **sections.pop("trafalgar", {})}
    return Settings.model_validate({"data_dir": data_dir, "trafalgar": trafalgar, **sections})


def populate(tracker: RecordingTracker) -> None:
    """Project FG: two episodes, three shots, versions with mixed-case statuses, a playlist."""
    tracker.add_project("FG", "Fox Glove")
    tracker.episodes["FG"] = [Episode("FG", "ep010"), Episode("FG", "ep020")]
    tracker.shots["FG"] = [
        Shot("FG", "ep010_sh010", episode="ep010", status="ip"),
        Shot("FG", "ep010_sh020", episode="ep010", status="IP"),
        Shot("FG", "ep020_sh010", episode="ep020", status="fin"),
    ]
    versions = [
        Version(
            "FG",
            "ep010_sh010_comp_v001",
            shot="ep010_sh010",
            episode="ep010",
            status="rev",
            duration_seconds=2.0,
            created_at=datetime(2024, 5, 1, tzinfo=UTC),
        ),
        Version(
            "FG",
            "ep010_sh010_comp_v002",
            shot="ep010_sh010",
            episode="ep010",
            status="APR",
            duration_seconds=2.5,
            created_at=datetime(2024, 5, 2, tzinfo=UTC),
        ),
        Version(
            "FG",
            "ep020_sh010_comp_v001",
            shot="ep020_sh010",
            episode="ep020",
            status="Approved",
            duration_seconds=4.0,
            created_at=datetime(2024, 5, 3, tzinfo=UTC),
        ),
    ]
    tracker.versions["FG"] = {v.code: v for v in versions}
    tracker.create_playlist("FG", "dailies_0501")
    tracker.add_to_playlist("FG", "dailies_0501", [versions[0].code, versions[1].code])
    tracker.add_project("XY", "Archived show", archived=True)
    tracker.calls.clear()


@pytest.fixture
def tracker() -> RecordingTracker:
    double = RecordingTracker()
    populate(double)
    return double


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    return make_settings(data_dir)


AppFactory = Callable[..., FastAPI]


@pytest.fixture
def make_app(tracker: RecordingTracker) -> AppFactory:
    """``make_app(settings)``: the real app with the tracker double in its container."""

    def build(settings: Settings, double: RecordingTracker | None = None) -> FastAPI:
        container = Container(settings)
        container.tracker = (
            double or tracker
        )  # the double replaces the adapter the factory would build
        return create_app(container=container)

    return build


@pytest.fixture
def app(make_app: AppFactory, settings: Settings) -> FastAPI:
    return make_app(settings)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


def admin(token: str = ADMIN_TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def saved_projects(settings: Settings) -> ProjectSnapshot | None:
    """The dashboard's project list as the state database keeps it."""
    from onepiece.state.db.caches import SqlProjectRegistryStore
    from onepiece.state.db.engine import engine_for

    engine = engine_for(settings)
    try:
        return SqlProjectRegistryStore(engine).load()
    finally:
        engine.dispose()
