"""The dashboard cache: TTL, records per bucket, projects kept, single-flight refresh.

Entries live in named buckets ("counts", "review", "project", ...), keyed by a
string and optionally tied to a project. Each entry weighs as many records as
its result holds.

- An entry is fresh for ``ttl`` seconds; an expired one is refreshed lazily on
  the next request. It is kept after expiry so that, when the upstream is
  down, callers can still answer from it (``Lookup.stale``).
- A bucket holds at most ``max_records`` records; the oldest entries go first.
  A single result heavier than that bypasses the cache (returned, not stored)
  instead of failing or evicting everything.
- At most ``max_projects`` projects keep entries; the least recently used
  project's entries are evicted across all buckets.
- Thread-safe. When an entry expires under a burst, one caller fetches and the
  others wait for its result (single-flight), so the upstream sees one query.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

log = logging.getLogger("onepiece.dashboard")

T = TypeVar("T")

# Accepted ranges; configured values outside them are clamped with a warning.
LIMITS: dict[str, tuple[float, float]] = {
    "ttl": (0.0, 86_400.0),
    "max_records": (1, 1_000_000),
    "max_projects": (1, 10_000),
}


@dataclass(frozen=True)
class CacheLimits:
    ttl: float = 30.0
    max_records: int = 5000
    max_projects: int = 50


def clamp_limits(ttl: float, max_records: int, max_projects: int) -> tuple[CacheLimits, list[str]]:
    """Limits within LIMITS, and one warning per value that had to move."""
    warnings: list[str] = []
    values: dict[str, float] = {}
    for name, value in (("ttl", ttl), ("max_records", max_records), ("max_projects", max_projects)):
        low, high = LIMITS[name]
        clamped = min(max(value, low), high)
        if clamped != value:
            warnings.append(
                f"dashboard cache {name}={value} out of range [{low:g}, {high:g}]; "
                f"using {clamped:g}"
            )
        values[name] = clamped
    limits = CacheLimits(
        ttl=float(values["ttl"]),
        max_records=int(values["max_records"]),
        max_projects=int(values["max_projects"]),
    )
    return limits, warnings


@dataclass
class _Entry:
    value: Any
    records: int
    expires_at: float
    fetched_at: datetime
    project: str | None


@dataclass
class _Flight:
    done: threading.Event = field(default_factory=threading.Event)
    value: Any = None
    error: BaseException | None = None
    fetched_at: datetime | None = None


@dataclass
class _BucketStats:
    hits: int = 0
    misses: int = 0
    bypassed: int = 0
    last_refresh: datetime | None = None


@dataclass(frozen=True)
class Lookup(Generic[T]):
    """A value and where it came from."""

    value: T
    fetched_at: datetime
    cached: bool  # served from the cache without an upstream call
    stale: bool = False  # served past its TTL because the upstream failed
    error: BaseException | None = None  # the failure that made it stale


class DashboardCache:
    def __init__(
        self,
        limits: CacheLimits | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        flushed_elsewhere: Callable[[], bool] | None = None,
    ) -> None:
        """``flushed_elsewhere``: asked before every read; True when another
        worker flushed its cache since (state.db.flushes), so this one does too."""
        self._limits = limits or CacheLimits()
        self._flushed_elsewhere = flushed_elsewhere
        self._clock = clock
        self._now = now
        self._lock = threading.Lock()
        self._buckets: dict[str, OrderedDict[str, _Entry]] = {}
        self._records: dict[str, int] = {}
        self._projects: OrderedDict[str, None] = OrderedDict()  # LRU order, oldest first
        self._flights: dict[tuple[str, str], _Flight] = {}
        self._stats: dict[str, _BucketStats] = {}

    @property
    def limits(self) -> CacheLimits:
        return self._limits

    def get_or_load(
        self,
        bucket: str,
        key: str,
        loader: Callable[[], T],
        *,
        project: str | None = None,
        records: Callable[[T], int] = lambda _value: 1,
        stale_on: tuple[type[BaseException], ...] = (),
    ) -> Lookup[T]:
        """The fresh cached value, or one upstream fetch shared by concurrent callers.

        When ``loader`` raises one of ``stale_on`` and an expired entry exists,
        that entry is returned with ``stale=True``; otherwise the error propagates.
        """
        self._follow_flushes()
        with self._lock:
            stats = self._stats.setdefault(bucket, _BucketStats())
            entry = self._buckets.get(bucket, OrderedDict()).get(key)
            if entry is not None and entry.expires_at > self._clock():
                stats.hits += 1
                self._touch(project)
                return Lookup(entry.value, entry.fetched_at, cached=True)
            stats.misses += 1
            flight = self._flights.get((bucket, key))
            leader = flight is None
            if flight is None:
                flight = self._flights[(bucket, key)] = _Flight()
        if leader:
            self._lead(bucket, key, flight, loader, project, records)
        else:
            flight.done.wait()
        if flight.error is None:
            assert flight.fetched_at is not None
            return Lookup(flight.value, flight.fetched_at, cached=not leader)
        if isinstance(flight.error, stale_on) and entry is not None:
            return Lookup(
                entry.value, entry.fetched_at, cached=True, stale=True, error=flight.error
            )
        raise flight.error

    def get_fresh(self, bucket: str, key: str) -> Lookup[Any] | None:
        """The value if cached and fresh (counted as a hit), else None without fetching.

        Lets async callers answer a warm request on the event loop and hand only
        misses to a worker thread.
        """
        self._follow_flushes()
        with self._lock:
            entry = self._buckets.get(bucket, OrderedDict()).get(key)
            if entry is None or entry.expires_at <= self._clock():
                return None
            self._stats.setdefault(bucket, _BucketStats()).hits += 1
            self._touch(entry.project)
            return Lookup(entry.value, entry.fetched_at, cached=True)

    def peek(self, bucket: str, key: str) -> Lookup[Any] | None:
        """Whatever is cached, fresh or expired, without calling upstream."""
        self._follow_flushes()
        with self._lock:
            entry = self._buckets.get(bucket, OrderedDict()).get(key)
            if entry is None:
                return None
            stale = entry.expires_at <= self._clock()
            return Lookup(entry.value, entry.fetched_at, cached=True, stale=stale)

    def _lead(
        self,
        bucket: str,
        key: str,
        flight: _Flight,
        loader: Callable[[], Any],
        project: str | None,
        records: Callable[[Any], int],
    ) -> None:
        try:
            flight.value = loader()
            flight.fetched_at = self._now()
            weight = max(records(flight.value), 0)
        except BaseException as exc:  # noqa: BLE001 - handed to every waiter, re-raised by each
            flight.error = exc
        with self._lock:
            if flight.error is None:
                assert flight.fetched_at is not None
                self._store(bucket, key, flight.value, weight, flight.fetched_at, project)
            del self._flights[(bucket, key)]
        flight.done.set()

    def _store(
        self, bucket: str, key: str, value: Any, weight: int, fetched: datetime, project: str | None
    ) -> None:
        stats = self._stats.setdefault(bucket, _BucketStats())
        stats.last_refresh = fetched
        entries = self._buckets.setdefault(bucket, OrderedDict())
        self._drop(bucket, key)
        if weight > self._limits.max_records:
            stats.bypassed += 1
            log.info(
                "%s/%s holds %d records (> %d): not cached",
                bucket,
                key,
                weight,
                self._limits.max_records,
            )
            return
        expires = self._clock() + self._limits.ttl
        entries[key] = _Entry(value, weight, expires, fetched, project)
        self._records[bucket] = self._records.get(bucket, 0) + weight
        while self._records[bucket] > self._limits.max_records:
            oldest = next(iter(entries))
            self._drop(bucket, oldest)
        self._touch(project)
        while len(self._projects) > self._limits.max_projects:
            self._evict_project(next(iter(self._projects)))

    def _drop(self, bucket: str, key: str) -> None:
        entry = self._buckets.get(bucket, OrderedDict()).pop(key, None)
        if entry is not None:
            self._records[bucket] -= entry.records

    def _touch(self, project: str | None) -> None:
        if project is not None:
            self._projects[project] = None
            self._projects.move_to_end(project)

    def _evict_project(self, project: str) -> None:
        del self._projects[project]
        for bucket, entries in self._buckets.items():
            for key in [k for k, e in entries.items() if e.project == project]:
                self._drop(bucket, key)

    def _follow_flushes(self) -> None:
        if self._flushed_elsewhere is not None and self._flushed_elsewhere():
            self.flush()

    def forget(self, bucket: str, key: str) -> None:
        """Drop one entry (a write through OnePiece made it stale); the next read reloads."""
        with self._lock:
            self._drop(bucket, key)

    def flush(self) -> None:
        """Forget every entry (statistics and in-flight fetches are kept)."""
        with self._lock:
            self._buckets.clear()
            self._records.clear()
            self._projects.clear()

    def configure(self, limits: CacheLimits) -> None:
        """New limits apply to entries stored from now on; call ``flush`` to start over."""
        with self._lock:
            self._limits = limits

    def stats(self) -> dict[str, Any]:
        self._follow_flushes()
        with self._lock:
            names = sorted(set(self._stats) | set(self._buckets))
            buckets = {
                name: {
                    "entries": len(self._buckets.get(name, ())),
                    "records": self._records.get(name, 0),
                    "hits": self._stats.get(name, _BucketStats()).hits,
                    "misses": self._stats.get(name, _BucketStats()).misses,
                    "bypassed": self._stats.get(name, _BucketStats()).bypassed,
                    "last_refresh": self._stats.get(name, _BucketStats()).last_refresh,
                }
                for name in names
            }
            return {
                "ttl_seconds": self._limits.ttl,
                "max_records": self._limits.max_records,
                "max_projects": self._limits.max_projects,
                "projects": len(self._projects),
                "hits": sum(b["hits"] for b in buckets.values()),
                "misses": sum(b["misses"] for b in buckets.values()),
                "buckets": buckets,
            }
