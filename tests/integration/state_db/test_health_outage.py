"""/health during a state database outage: ``degraded`` with the reason, never a
503 of its own, and ``ok`` again once the database is back (PostgreSQL refusing
connections, on a real server: its sessions ended, new ones refused)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from onepiece.config import Settings
from onepiece.web.app import create_app
from tests.pg_database import PG_ADMIN_URL, fresh_pg_database
from tests.web_server import serve_app

TOKEN = "outage-admin-93be1c"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def own_database() -> Iterator[tuple[str, sa.Engine]]:
    """A database of its own (the test refuses its connections), and an admin engine."""
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with fresh_pg_database("onepiece_outage") as name:  # dropped WITH (FORCE) after
            yield sa.make_url(PG_ADMIN_URL).set(database=name).render_as_string(False), admin
    finally:
        admin.dispose()


def _refuse_connections(admin: sa.Engine, name: str, refused: bool) -> None:
    with admin.connect() as connection:
        connection.exec_driver_sql(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {not refused}')
        if refused:
            connection.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"
                ),
                {"n": name},
            )


@pytest.mark.parametrize("token", [True, False], ids=["token", "anonymous"])
def test_health_is_degraded_not_failing_while_postgresql_is_down(
    tmp_path: Path, own_database: tuple[str, sa.Engine], token: bool
) -> None:
    url, admin = own_database
    name = sa.make_url(url).database
    assert name
    settings = Settings(
        data_dir=tmp_path / "data",
        trafalgar={"dashboard_token": TOKEN},
        render={"poll_seconds": 60, "mock_enabled": True},
        database={"url": url + "?password=Sup3rSecret"},
    )
    headers = ADMIN if token else {}
    scene = tmp_path / "scene.json"
    scene.write_text(json.dumps({"width": 16, "height": 8}))
    body = {"dcc": "builtin", "scene": str(scene), "frames": "1-2", "farm": "mock",
            "output": str(tmp_path / "out" / "f.####.png")}  # fmt: skip
    with serve_app(create_app(settings)) as server:
        assert httpx.post(f"{server.url}/jobs", json=body, headers=ADMIN, timeout=60).is_success
        assert httpx.get(f"{server.url}/health", headers=headers).json()["status"] == "ok"

        _refuse_connections(admin, name, True)
        down = httpx.get(f"{server.url}/health", headers=headers, timeout=60)
        assert down.status_code == 200, down.text
        answer = down.json()
        assert answer["status"] == "degraded"
        assert answer["database"]["status"] == "degraded" and answer["database"]["reason"]
        assert answer["render"]["status"] == "unavailable"
        assert "Sup3rSecret" not in down.text
        if not token:
            assert "postgres@" not in down.text  # no URL (user, database) to anonymous clients

        _refuse_connections(admin, name, False)
        back = httpx.get(f"{server.url}/health", headers=headers, timeout=60).json()
        assert back["status"] == "ok", back
