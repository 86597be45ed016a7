"""``POST /jobs`` with an ``Idempotency-Key``: one render per key, whoever retries.

The key is claimed in the state database before the job is submitted (one
commit) and bound to the job in the transaction that records it (a second):
a recorded job always has its key bound. A retry with the same key and body gets
that job back (``replayed``); a retry that arrives while the first request is
still submitting waits for it (up to ``wait`` seconds) instead of failing; the
same key with another body is refused (``IdempotencyConflict``). A submit that
fails gives its key back, so a retry may try again.

The job's id is derived from the key and the body (``intended_job_id``), not
drawn at random. A claimant killed before recording its job leaves a claim
that a retry takes over once it is stale, and submits. The claim carries that
id: a job already recorded under it with its key unbound (left by a version
that bound the key in a third commit, killed between the two) is bound and
returned by the claim itself, instead of making a second render.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import Any

from onepiece.domain.render import RenderJob
from onepiece.errors import IdempotencyConflict, JobNotFound, ValidationError
from onepiece.services.render.jobs import RenderJobService
from onepiece.state.db.errors import IdempotencyInFlight
from onepiece.state.db.idempotency import request_hash
from onepiece.state.db.ports import IdempotencyStore

MAX_KEY_LENGTH = 255
WAIT_SECONDS = 10.0
POLL_SECONDS = 0.05


def check_key(key: str) -> str:
    if not 0 < len(key) <= MAX_KEY_LENGTH or not all(" " < c <= "~" for c in key):
        raise ValidationError(
            f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} visible ASCII characters",
            hint="send a fresh random key (a UUID, say) with each new submission",
        )
    return key


def intended_job_id(key: str, digest: str) -> str:
    """The id of the one job this key and body make (12 hex digits, as random ids)."""
    return hashlib.sha256(f"{key}\n{digest}".encode()).hexdigest()[:12]


def submit_once(
    service: RenderJobService,
    store: IdempotencyStore,
    key: str,
    body: dict[str, Any],
    *,
    wait: float = WAIT_SECONDS,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[RenderJob, bool]:
    """(the job, True when an earlier request with this key created it)."""
    digest = request_hash(body)
    job_id = intended_job_id(check_key(key), digest)
    deadline = clock() + wait
    while True:
        try:
            existing = store.claim(key, digest, job_id)
            break
        except IdempotencyInFlight:
            if clock() >= deadline:
                raise
            sleep(POLL_SECONDS)
    if existing is not None:
        try:
            return service.get(existing), True
        except JobNotFound:  # its job left the history (limit, retention) before the key did
            raise IdempotencyConflict(
                "this Idempotency-Key's job is no longer in the render history",
                hint="use a new key for a new submission",
            ) from None
    try:
        job = service.submit(service.request(**body), job_id=job_id, idempotency_key=key)
    except BaseException:  # cleanup only: re-raised
        store.release(key)  # only an unbound key: a job recorded keeps it
        raise
    return job, False
