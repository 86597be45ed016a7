"""A claimant killed between recording its job and binding its key: the retry
that takes the stale claim over gets that job back, never a second render.

The dead claimant is played by its two writes, in the order ``submit_once``
makes them (the claim, then the job recorded under the key's id), without the
third (binding the key) that ``kill -9`` prevented. Keys on SQLite and
PostgreSQL; the render history too.
"""

from __future__ import annotations

from sqlalchemy.engine import Engine

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
