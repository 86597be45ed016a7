"""Render poller: keeps unfinished render jobs fresh from their farms.

In the web service a thread (off the event loop) refreshes, every
``poll_seconds``, the unfinished jobs this process is responsible for: with a
lease (state.db.leases) only its holder polls the farms every host reaches, and
the holder of this host's local lease checks this host's local farm jobs. It
also forwards cancels asked through another host, and prunes and compacts the
history now and then. CLI commands have no thread: they call ``poll_once``.

It is separate from the job use cases (services.render.jobs) because it is a
background loop with its own state (thread, leases, role, last round) that the
use cases never need; it refreshes jobs through its service, under the same
lock as requests, so a request and a round never interleave on a job.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import SQLAlchemyError

from onepiece.errors import AdapterUnavailable, FarmError, FarmNotFound, OnePieceError

if TYPE_CHECKING:
    from onepiece.services.render.jobs import RenderJobService
    from onepiece.state.db.leases import Lease

# The name the poller's lines had before it moved out of services.render.jobs:
# log filters and alerts keyed on it keep working.
log = logging.getLogger("onepiece.services.render.jobs")

COMPACT_EVERY_SECONDS = 600.0


class RenderPoller:
    def __init__(
        self,
        service: RenderJobService,
        poll_seconds: float,
        lease: Lease | None = None,
        local_lease: Lease | None = None,
    ) -> None:
        # With a lease, only its holder polls the farms every host reaches
        # (state.db.leases); this host's local farm jobs are checked by the holder
        # of this host's ``local_lease``: no other host's farm knows them.
        self.service = service
        self.poll_seconds = poll_seconds
        self.lease = lease
        self.local_lease = local_lease
        self.polling = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_compaction = time.monotonic()
        self.last_poll_at: datetime | None = None
        self.last_poll_error: str | None = None

    def poll_once(self, *, shared: bool = True, local: bool = True) -> None:
        """Refresh unfinished jobs from their farms (``shared``: the farms every host
        reaches; ``local``: this host's local farm jobs); prune and compact now and then."""
        service = self.service
        for job in service.store.unfinished():
            if not (local if job.host is not None else shared) or not service._owned_here(job):
                continue  # another poller's, or another host's local farm job
            try:
                if job.cancel_requested:  # asked through another host
                    service.farms.get(job.farm).cancel(job.farm_job_id, job.cancel_requested)
                service._refresh(job)
            except (AdapterUnavailable, FarmNotFound) as exc:  # every round: not a warning each
                log.debug("farm %s unavailable for job %s: %s", job.farm, job.id, exc.message)
            except FarmError as exc:
                log.warning("refreshing render job %s: %s", job.id, exc.message)
        if shared and time.monotonic() - self._last_compaction > COMPACT_EVERY_SECONDS:
            service.store.prune()
            service._wrote()
            service.store.compact()
            self._last_compaction = time.monotonic()
        self.last_poll_at = datetime.now(UTC)

    def _loop(self) -> None:
        while not self._stop.wait(self.poll_seconds):
            try:
                shared = self._holds_lease()
                local = shared if self.local_lease is None else self.local_lease.try_acquire()
                if shared or local:
                    self.poll_once(shared=shared, local=local)
                self.last_poll_error = None
            except (OnePieceError, SQLAlchemyError, OSError, ValueError) as exc:
                # Keep polling: one bad round (history locked, farm hiccup) is not fatal.
                if str(exc) != self.last_poll_error:  # once per distinct error, not per round
                    log.warning("render job poller: %s", exc)
                self.last_poll_error = str(exc)

    def _holds_lease(self) -> bool:
        holds = self.lease is None or self.lease.try_acquire()
        if holds != self.polling and self.lease is not None:
            log.info("render poller: %s", "polling the farms" if holds else "standing by")
        self.polling = holds
        return holds

    def start(self) -> None:
        """Start the background thread (the web service does; CLI commands do not)."""
        store = self.service.store
        if self._thread is not None or store.damage is not None:
            return  # a damaged history is neither read nor written by a poller
        store.compact()  # as the maintenance tick does: /health shows when
        self._last_compaction = time.monotonic()
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="render-poller", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        for lease in (self.lease, self.local_lease):
            if lease is not None:
                lease.release()
        self.polling = False

    def health(self) -> dict[str, Any]:
        """``/health`` ``render.poller``."""
        return {
            "running": self._thread is not None and self._thread.is_alive(),
            # "polling" the farms, or "standby" while another process holds the lease
            "role": "polling" if self.polling else "standby",
            "interval_seconds": self.poll_seconds,
            "last_poll_at": self.last_poll_at.isoformat() if self.last_poll_at else None,
            "last_error": self.last_poll_error,
        }


__all__ = ["COMPACT_EVERY_SECONDS", "RenderPoller"]
