"""The poller lease (state.db.leases): one holder at a time, handed over when
the holder lets go or loses its connection; on PostgreSQL and as a file lock."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from onepiece.state.db.engine import create_state_engine
from onepiece.state.db.leases import FileLease, Lease, PgAdvisoryLease
from tests.integration.state_db.conftest import _empty_pg


def _pair(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> tuple[Lease, Lease]:
    if kind == "file":
        path = tmp_path / "render-jobs.db.poller.lock"
        return FileLease(path), FileLease(path)
    url: str = request.getfixturevalue("pg_url")
    _empty_pg(url)
    engine = create_state_engine(url)
    request.addfinalizer(engine.dispose)
    return PgAdvisoryLease(engine, "render-poller:/h"), PgAdvisoryLease(engine, "render-poller:/h")


@pytest.mark.parametrize("kind", ["file", "postgresql"])
def test_one_holder_at_a_time(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    first, second = _pair(kind, tmp_path, request)
    assert first.try_acquire() and first.try_acquire()  # holding it again is fine
    assert not second.try_acquire()
    first.release()
    assert second.try_acquire()
    assert not first.try_acquire()
    second.release()


def test_another_history_has_its_own_lease(pg_url: str) -> None:
    _empty_pg(pg_url)
    engine = create_state_engine(pg_url)
    try:
        one = PgAdvisoryLease(engine, "render-poller:/host-a/render-jobs.db")
        other = PgAdvisoryLease(engine, "render-poller:/host-b/render-jobs.db")
        assert one.try_acquire() and other.try_acquire()
        one.release()
        other.release()
    finally:
        engine.dispose()


def test_a_holder_whose_connection_died_knows_it_lost_the_lease(pg_url: str) -> None:
    _empty_pg(pg_url)
    engine = create_state_engine(pg_url)
    try:
        holder = PgAdvisoryLease(engine, "render-poller:/h")
        standby = PgAdvisoryLease(engine, "render-poller:/h")
        assert holder.try_acquire()
        with engine.connect() as admin:  # the server drops the holder's session
            admin.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_locks "
                    "WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid() "
                    "AND database = (SELECT oid FROM pg_database "
                    "WHERE datname = current_database())"
                )
            )
        # pg_terminate_backend only signals the session: its locks go when it has
        # ended, a moment later. Wait for that (bounded), as a standby's next round would.
        deadline = time.monotonic() + 10
        while not standby.try_acquire():
            assert time.monotonic() < deadline, "the terminated session's lock was never freed"
            time.sleep(0.05)
        assert not holder.try_acquire()
        standby.release()
    finally:
        engine.dispose()
