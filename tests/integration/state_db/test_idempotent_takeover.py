"""A claimant killed at any point of a keyed submit: the retry gets its job
back, never a second render.

The dead claimant is played by the writes it made before ``kill -9``: its
claim alone (killed before recording), its claim and its job recorded with the
key bound in one transaction (killed after recording), or, as a version that
bound the key in a third commit could leave it, its claim and its job recorded
without the binding. Keys on SQLite and PostgreSQL; the render history too.
"""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from onepiece.adapters.farms.mock import MockFarm
from onepiece.adapters.farms.registry import FarmEntry, FarmRegistry
from onepiece.config.model import RenderSettings
from onepiece.services.render.idempotent import intended_job_id, submit_once
from onepiece.services.render.jobs import RenderJobService
from onepiece.state.db.idempotency import STALE_AFTER_SECONDS, SqlIdempotencyStore, request_hash
from onepiece.state.db.render_history import SqlRenderJobStore

BODY = {"dcc": "builtin", "scene": "/shots/sh010.json", "frames": "1-10",
        "output": "/renders/sh010.####.png", "farm": "mock"}  # fmt: skip


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def _service(engine: Engine) -> RenderJobService:
    farm = MockFarm()
    farms = FarmRegistry([FarmEntry("mock", True, "")], {"mock": lambda: farm})
    store = SqlRenderJobStore(engine, history_limit=100, retention_hours=24)
    return RenderJobService(store, farms, RenderSettings(default_farm="mock"))


def test_a_stale_claim_whose_job_was_recorded_replays_that_job(engine: Engine) -> None:
    clock = Clock()
    keys = SqlIdempotencyStore(engine, clock=clock)
    service = _service(engine)
    digest = request_hash(BODY)

    assert keys.claim("retry-after-crash", digest) is None  # the claimant that dies
    recorded = service.submit(
        service.request(**BODY), job_id=intended_job_id("retry-after-crash", digest)
    )

    clock.now += STALE_AFTER_SECONDS + 1  # its claim is stale: a retry takes it over
    job, replayed = submit_once(service, keys, "retry-after-crash", BODY)
    assert (job.id, replayed) == (recorded.id, True)
    assert [j.id for j in service.store.recent(limit=10)] == [recorded.id]  # no second job
    assert keys.claim("retry-after-crash", digest) == recorded.id  # bound from now on
    service.close()


def test_a_key_forgotten_while_its_job_stays_replays_that_job(engine: Engine) -> None:
    """The key's row is gone (pruned, or given back by a version that recorded the
    job and failed to bind): a new claim finds the job in the same statement."""
    clock = Clock()
    keys = SqlIdempotencyStore(engine, clock=clock)
    service = _service(engine)
    digest = request_hash(BODY)
    assert keys.claim("pruned-key", digest) is None
    recorded = service.submit(service.request(**BODY), job_id=intended_job_id("pruned-key", digest))
    clock.now += 3600
    assert keys.prune(older_than_seconds=60) == 1  # the key is forgotten, the job stays

    job, replayed = submit_once(service, keys, "pruned-key", BODY)
    assert (job.id, replayed) == (recorded.id, True)
    assert [j.id for j in service.store.recent(limit=10)] == [recorded.id]  # no second job
    assert keys.claim("pruned-key", digest) == recorded.id  # bound again
    other = submit_once(service, keys, "another-key", BODY)[0]
    assert other.id not in (recorded.id, None)  # another key, another job
    service.close()


def test_a_claimant_killed_after_recording_leaves_its_key_bound(engine: Engine) -> None:
    keys = SqlIdempotencyStore(engine, clock=Clock())
    service = _service(engine)
    digest = request_hash(BODY)
    job_id = intended_job_id("killed-after-recording", digest)

    assert keys.claim("killed-after-recording", digest, job_id) is None
    recorded = service.submit(
        service.request(**BODY), job_id=job_id, idempotency_key="killed-after-recording"
    )  # and then killed: nothing else of submit_once runs

    # The retry gets the job at once, without waiting for the claim to go stale.
    job, replayed = submit_once(service, keys, "killed-after-recording", BODY, wait=0)
    assert (job.id, replayed) == (recorded.id, True)
    assert [j.id for j in service.store.recent(limit=10)] == [recorded.id]
    service.close()


def test_a_failed_record_leaves_the_key_unbound_for_a_retry(engine: Engine) -> None:
    keys = SqlIdempotencyStore(engine, clock=Clock())
    service = _service(engine)
    digest = request_hash(BODY)
    job_id = intended_job_id("record-failed", digest)
    taken = service.submit(service.request(**BODY), job_id=job_id)  # the id is taken already

    assert keys.claim("record-failed", digest) is None
    with pytest.raises(IntegrityError):  # the job's insert fails: its binding is undone with it
        service.submit(service.request(**BODY), job_id=job_id, idempotency_key="record-failed")
    assert [j.id for j in service.store.recent(limit=10)] == [taken.id]
    keys.release("record-failed")  # as submit_once does on failure: the key is still unbound
    assert keys.claim("record-failed", digest) is None
    service.close()


def test_a_stale_claim_without_a_job_submits_it_once(engine: Engine) -> None:
    clock = Clock()
    keys = SqlIdempotencyStore(engine, clock=clock)
    service = _service(engine)
    assert keys.claim("died-before-submitting", request_hash(BODY)) is None
    clock.now += STALE_AFTER_SECONDS + 1
    job, replayed = submit_once(service, keys, "died-before-submitting", BODY)
    assert not replayed
    again, replayed = submit_once(service, keys, "died-before-submitting", BODY)
    assert (again.id, replayed) == (job.id, True)
    assert len(service.store.recent(limit=10)) == 1
    service.close()
