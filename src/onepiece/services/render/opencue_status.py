"""The OpenCue render queue for dashboards: a summary and a per-job details view.

Cuebot trouble is a state to report, not an error to raise: every outcome is
a ``QueueReport`` with ``enabled`` (hosts configured), ``available`` (Cuebot
answered) and a ``message`` saying what to do. Queries run on a worker
thread and are abandoned after ``[opencue] timeout_seconds``, so a hung
Cuebot costs a caller at most that long; one query per view is in flight at a
time, and answers (good or bad) are kept for ``[opencue] cache_seconds``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal, Protocol

from onepiece.config import Settings
from onepiece.domain.render_queue import QUEUE_BUCKETS, QueueJob, iso_utc, summarise
from onepiece.errors import ConfigError, OnePieceError

log = logging.getLogger(__name__)

SOURCE = "OpenCue"
NOT_CONFIGURED = (
    "OpenCue is not configured: set OPENCUE_HOSTS (host:port[,host:port...]) "
    "and OPENCUE_DEFAULT_SHOW"
)


class QueueSource(Protocol):
    """What the service needs from the farm adapter (OpenCueFarm.queue)."""

    def queue(self, *, details: bool) -> list[QueueJob]: ...


@dataclass(frozen=True)
class QueueReport:
    enabled: bool
    available: bool
    summary: dict[str, int] = field(default_factory=lambda: dict.fromkeys(QUEUE_BUCKETS, 0))
    last_updated: datetime | None = None
    message: str | None = None
    jobs: tuple[QueueJob, ...] | None = None
    # Why it is unavailable, for exit codes: "config" or "unreachable" (not serialised).
    problem: Literal["config", "unreachable"] | None = None

    def as_dict(self, *, details: bool = False) -> dict[str, object]:
        body: dict[str, object] = {
            "enabled": self.enabled,
            "available": self.available,
            "summary": dict(self.summary),
            "last_updated": iso_utc(self.last_updated),
            "source": SOURCE,
            "message": self.message,
        }
        if details:
            body["jobs"] = [job.as_dict() for job in self.jobs or ()]
        return body


def _explain(exc: OnePieceError) -> str:
    return f"{exc.message}; {exc.hint}" if exc.hint else exc.message


class OpenCueStatusService:
    """Summary and details of the OpenCue queue, cached and bounded in time."""

    def __init__(
        self,
        settings: Settings,
        *,
        source_factory: Callable[[Settings], QueueSource],
        cache_seconds: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.timeout = settings.opencue.timeout_seconds
        self.cache_seconds = (
            settings.opencue.cache_seconds if cache_seconds is None else cache_seconds
        )
        self._source_factory = source_factory
        self._source: QueueSource | None = None
        self._clock = clock
        self._lock = threading.Lock()
        self._cache: dict[bool, tuple[float, QueueReport]] = {}
        self._inflight: dict[bool, Future[list[QueueJob]]] = {}
        self._executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="opencue-status")

    @property
    def enabled(self) -> bool:
        return bool((self.settings.opencue.hosts or "").strip())

    def summary(self) -> QueueReport:
        """Counts per bucket (cued, running, success, fail)."""
        return self._report(details=False)

    def details(self) -> QueueReport:
        """The summary plus one row per job (layers, hosts, frame counters, times)."""
        return self._report(details=True)

    def _report(self, *, details: bool) -> QueueReport:
        if not self.enabled:
            return QueueReport(
                enabled=False, available=False, message=NOT_CONFIGURED, problem="config"
            )
        now = self._clock()
        with self._lock:
            # A details answer also serves the summary.
            for key in (True,) if details else (False, True):
                cached = self._cache.get(key)
                if cached and now - cached[0] < self.cache_seconds:
                    return cached[1]
        report = self._query(details)
        with self._lock:
            self._cache[details] = (self._clock(), report)
        return report

    def _query(self, details: bool) -> QueueReport:
        try:
            future = self._start(details)
            jobs = future.result(timeout=self.timeout)
        except FutureTimeout:
            hosts = self.settings.opencue.hosts
            return self._unavailable(
                f"Cuebot at {hosts} did not answer within {self.timeout:g}s; "
                "it may be down or overloaded (OPENCUE_TIMEOUT_SECONDS sets the limit)"
            )
        except ConfigError as exc:
            return self._unavailable(_explain(exc), problem="config")
        except OnePieceError as exc:
            return self._unavailable(_explain(exc))
        except Exception as exc:  # noqa: BLE001 - a dashboard probe reports, never 500s
            log.exception("unexpected error while reading the OpenCue queue")
            return self._unavailable(f"unexpected error while reading the OpenCue queue: {exc}")
        return QueueReport(
            enabled=True,
            available=True,
            summary=summarise(job.status for job in jobs),
            last_updated=datetime.now(UTC),
            message=None if jobs else "no OpenCue jobs for this show",
            jobs=tuple(jobs) if details else None,
        )

    def _unavailable(
        self, message: str, problem: Literal["config", "unreachable"] = "unreachable"
    ) -> QueueReport:
        return QueueReport(enabled=True, available=False, message=message, problem=problem)

    def _start(self, details: bool) -> Future[list[QueueJob]]:
        """Reuse the query already running for this view, or start one."""
        with self._lock:
            running = self._inflight.get(details)
            if running is not None and not running.done():
                return running
            future = self._executor.submit(self._fetch, details)
            self._inflight[details] = future
            return future

    def _fetch(self, details: bool) -> list[QueueJob]:
        if self._source is None:
            # Built on the worker: a malformed OPENCUE_HOSTS surfaces as a report.
            self._source = self._source_factory(self.settings)
        return self._source.queue(details=details)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
