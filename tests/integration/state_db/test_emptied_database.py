"""Issue 15 item 5: a state database empty where records were expected is never
silent: the service warns before it listens and /health says degraded.

"Emptied" covers a deleted ``state.db`` recreated on start, and a database URL
now naming a fresh database (PostgreSQL: the original is dropped and created
again empty).
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import sqlalchemy as sa

from onepiece.bootstrap import Container
from onepiece.state.db.expected import MARKER_NAME
from tests.integration.state_db.conftest import container_for


def _serve_once_with_a_run(tmp_path: Path, url: str | None) -> Container:
    container = container_for(tmp_path, url)
    container.start()
    container.ingest_runs.save({"id": "ingest-1", "status": "completed", "started_at": "2026"})
    container.close()  # a clean stop remembers what the database held
    return container


def _empty_it(container: Container, url: str | None) -> None:
    if url is None or url.startswith("sqlite"):
        path = container.settings.state_db_path if url is None else Path(url[len("sqlite:///") :])
        for leftover in path.parent.glob(path.name + "*"):
            if not leftover.name.endswith(".lock"):
                leftover.unlink()
        return
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as connection:  # as a fresh database restored in its place
        connection.execute(sa.text("DROP SCHEMA public CASCADE"))
        connection.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.mark.parametrize("configured", [False, True], ids=["default state.db", "database url"])
def test_an_emptied_database_is_reported_before_listening_and_on_health(
    tmp_path: Path, db_url: str, configured: bool, caplog: pytest.LogCaptureFixture
) -> None:
    url = db_url if configured else None
    first = _serve_once_with_a_run(tmp_path, url)
    _empty_it(first, url)

    again = container_for(tmp_path, url)
    try:
        with caplog.at_level(logging.WARNING):
            again.start()
        (warning,) = [
            r.getMessage() for r in caplog.records if "holds no render jobs" in r.getMessage()
        ]
        assert "1 were there" in warning and MARKER_NAME in warning
        health = again.state_db.health()
        assert health["status"] == "degraded" and "holds no render jobs" in health["reason"]
    finally:
        again.close()

    still = container_for(tmp_path, url)  # not forgotten by a restart: still reported
    try:
        still.start()
        assert still.state_db.health()["status"] == "degraded"
        (still.settings.data_dir / MARKER_NAME).unlink()  # the operator accepts it as new
    finally:
        still.close()
    accepted = container_for(tmp_path, url)
    try:
        accepted.start()
        assert accepted.state_db.health()["status"] == "ok"
    finally:
        accepted.close()


def test_a_database_never_used_with_records_is_not_reported(tmp_path: Path) -> None:
    first = container_for(tmp_path, None)
    first.start()
    first.close()  # remembered with no records
    again = container_for(tmp_path, None)
    try:
        again.start()
        assert again.state_db.health()["status"] == "ok"
    finally:
        again.close()
