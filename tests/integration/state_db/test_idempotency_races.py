"""Concurrent claims of one Idempotency-Key create exactly one record, on both backends."""

from __future__ import annotations

import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from onepiece.state.db.errors import IdempotencyConflict
from onepiece.state.db.idempotency import SqlIdempotencyStore
from onepiece.state.db.schema import idempotency_keys

CLAIMANTS = 8

# One claimant process: waits for "go" on stdin so all start together.
CLAIM_SCRIPT = """
import sys
from onepiece.state.db.engine import create_state_engine
from onepiece.state.db.errors import IdempotencyConflict
from onepiece.state.db.idempotency import SqlIdempotencyStore
store = SqlIdempotencyStore(create_state_engine(sys.argv[1]))
store.claim("warm-up-" + sys.argv[2], "h")  # connect before the start signal
sys.stdin.readline()
try:
    print("won" if store.claim("shared-key", "hash") is None else "replayed")
except IdempotencyConflict:
    print("in-flight")
"""


def _rows(engine: Engine) -> list[sa.Row[tuple[object, ...]]]:
    with engine.connect() as connection:
        query = sa.select(idempotency_keys).where(idempotency_keys.c.key == "shared-key")
        return list(connection.execute(query).all())


def test_threads_racing_for_one_key_make_one_claim(engine: Engine) -> None:
    store = SqlIdempotencyStore(engine)
    start = threading.Barrier(CLAIMANTS)

    def claim(_: int) -> str:
        start.wait()
        try:
            return "won" if store.claim("shared-key", "hash") is None else "replayed"
        except IdempotencyConflict:
            return "in-flight"

    with ThreadPoolExecutor(CLAIMANTS) as pool:
        outcomes = list(pool.map(claim, range(CLAIMANTS)))
    assert outcomes.count("won") == 1
    assert outcomes.count("in-flight") == CLAIMANTS - 1
    assert len(_rows(engine)) == 1


def test_processes_racing_for_one_key_make_one_claim(engine: Engine, db_url: str) -> None:
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", CLAIM_SCRIPT, db_url, str(n)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for n in range(4)
    ]
    outcomes = []
    for process in processes:
        assert process.stdin is not None
        process.stdin.write("go\n")
        process.stdin.flush()
    for process in processes:
        out, _ = process.communicate(timeout=60)
        assert process.returncode == 0
        outcomes.append(out.strip())
    assert outcomes.count("won") == 1, outcomes
    assert sorted(set(outcomes)) <= ["in-flight", "won"]
    assert len(_rows(engine)) == 1


def test_the_winner_job_is_what_every_retry_gets(engine: Engine) -> None:
    store = SqlIdempotencyStore(engine)
    assert store.claim("shared-key", "hash") is None
    store.complete("shared-key", "job-1")
    with ThreadPoolExecutor(CLAIMANTS) as pool:
        answers = list(pool.map(lambda _: store.claim("shared-key", "hash"), range(CLAIMANTS)))
    assert answers == ["job-1"] * CLAIMANTS
