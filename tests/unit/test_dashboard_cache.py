"""DashboardCache: TTL, record and project limits, bypass, stale answers, single-flight."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from onepiece.errors import TrackerUnavailable
from onepiece.services.dashboard.cache import CacheLimits, DashboardCache, clamp_limits


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Upstream:
    """A loader that counts fetches and returns a new value each time."""

    def __init__(self, value: object = "v") -> None:
        self.fetches = 0
        self.value = value

    def __call__(self) -> object:
        self.fetches += 1
        return (self.value, self.fetches)


def make(ttl: float = 10, max_records: int = 100, max_projects: int = 10):
    clock = Clock()
    return DashboardCache(CacheLimits(ttl, max_records, max_projects), clock=clock), clock


def test_fresh_entry_is_served_without_a_second_fetch() -> None:
    cache, _ = make()
    upstream = Upstream()
    first = cache.get_or_load("counts", "all", upstream)
    second = cache.get_or_load("counts", "all", upstream)
    assert upstream.fetches == 1
    assert first.value == second.value and second.cached and not first.cached


def test_expired_entry_is_refreshed_lazily_on_the_next_request() -> None:
    cache, clock = make(ttl=10)
    upstream = Upstream()
    cache.get_or_load("counts", "all", upstream)
    clock.now = 9.9
    assert cache.get_or_load("counts", "all", upstream).value == ("v", 1)
    clock.now = 10.0
    assert cache.get_or_load("counts", "all", upstream).value == ("v", 2)
    assert upstream.fetches == 2


def test_oldest_entries_are_evicted_when_a_bucket_exceeds_max_records() -> None:
    cache, _ = make(max_records=10)
    for key in ("a", "b", "c"):
        cache.get_or_load("review", key, Upstream(key), records=lambda _v: 4)
    stats = cache.stats()["buckets"]["review"]
    assert stats["entries"] == 2 and stats["records"] == 8
    upstream = Upstream()
    cache.get_or_load("review", "a", upstream, records=lambda _v: 4)
    assert upstream.fetches == 1  # "a" was the oldest, so it was evicted


def test_a_result_over_the_record_limit_bypasses_the_cache_without_evicting() -> None:
    cache, _ = make(max_records=10)
    cache.get_or_load("project", "small", lambda: "s", records=lambda _v: 5)
    huge = cache.get_or_load("project", "huge", lambda: "h" * 50, records=lambda v: len(v))
    assert huge.value == "h" * 50
    stats = cache.stats()["buckets"]["project"]
    assert stats["entries"] == 1 and stats["bypassed"] == 1
    upstream = Upstream()
    cache.get_or_load("project", "small", upstream)
    assert upstream.fetches == 0


def test_least_recently_used_project_is_evicted_across_buckets() -> None:
    cache, _ = make(max_projects=2)
    cache.get_or_load("project", "A", lambda: "a", project="A")
    cache.get_or_load("review", "A", lambda: "a", project="A")
    cache.get_or_load("project", "B", lambda: "b", project="B")
    cache.get_or_load("project", "A", lambda: "a", project="A")  # A is now the most recent
    cache.get_or_load("project", "C", lambda: "c", project="C")  # evicts B
    stats = cache.stats()
    assert stats["projects"] == 2
    assert stats["buckets"]["project"]["entries"] == 2
    assert stats["buckets"]["review"]["entries"] == 1
    upstream = Upstream()
    cache.get_or_load("project", "B", upstream, project="B")
    assert upstream.fetches == 1


def test_upstream_failure_serves_the_expired_entry_marked_stale() -> None:
    cache, clock = make(ttl=1)
    cache.get_or_load("counts", "all", lambda: 42)
    clock.now = 5

    def down() -> int:
        raise TrackerUnavailable("down")

    found = cache.get_or_load("counts", "all", down, stale_on=(TrackerUnavailable,))
    assert found.value == 42 and found.stale and isinstance(found.error, TrackerUnavailable)


def test_upstream_failure_without_a_cached_entry_propagates() -> None:
    cache, _ = make()

    def down() -> int:
        raise TrackerUnavailable("down")

    with pytest.raises(TrackerUnavailable):
        cache.get_or_load("counts", "all", down, stale_on=(TrackerUnavailable,))


def test_burst_on_an_expired_entry_reaches_upstream_once() -> None:
    cache, clock = make(ttl=1)
    cache.get_or_load("counts", "all", lambda: "old")
    clock.now = 2
    callers = 16
    arrived = threading.Barrier(callers)
    release = threading.Event()
    fetches: list[int] = []

    def slow_fetch() -> str:
        fetches.append(1)
        release.wait(5)
        return "new"

    def request() -> str:
        arrived.wait(5)
        return cache.get_or_load("counts", "all", slow_fetch).value

    with ThreadPoolExecutor(callers) as pool:
        futures = [pool.submit(request) for _ in range(callers)]
        # Every caller has either started the one fetch or is waiting for it.
        while cache.stats()["buckets"]["counts"]["misses"] < callers:
            threading.Event().wait(0.005)
        release.set()
        results = [f.result(5) for f in futures]
    assert results == ["new"] * callers
    assert len(fetches) == 1


def test_concurrent_waiters_all_receive_the_leaders_error() -> None:
    cache, _ = make()
    release = threading.Event()
    started = threading.Event()

    def failing() -> str:
        started.set()
        release.wait(5)
        raise TrackerUnavailable("down")

    with ThreadPoolExecutor(2) as pool:
        leader = pool.submit(cache.get_or_load, "counts", "all", failing)
        started.wait(5)
        follower = pool.submit(cache.get_or_load, "counts", "all", failing)
        while cache.stats()["buckets"]["counts"]["misses"] < 2:
            threading.Event().wait(0.005)
        release.set()
        for future in (leader, follower):
            with pytest.raises(TrackerUnavailable):
                future.result(5)


def test_flush_forgets_entries_and_keeps_statistics() -> None:
    cache, _ = make()
    upstream = Upstream()
    cache.get_or_load("counts", "all", upstream)
    cache.get_or_load("counts", "all", upstream)
    cache.flush()
    cache.get_or_load("counts", "all", upstream)
    stats = cache.stats()
    assert upstream.fetches == 2
    assert stats["hits"] == 1 and stats["misses"] == 2
    assert stats["buckets"]["counts"]["last_refresh"] is not None


def test_get_fresh_never_fetches_and_counts_hits() -> None:
    cache, clock = make(ttl=1)
    assert cache.get_fresh("metrics", "all") is None
    cache.get_or_load("metrics", "all", lambda: 1)
    assert cache.get_fresh("metrics", "all") is not None
    clock.now = 1
    assert cache.get_fresh("metrics", "all") is None
    assert cache.stats()["buckets"]["metrics"]["hits"] == 1


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ((-5, 100, 10), CacheLimits(0.0, 100, 10)),
        ((30, 0, 10), CacheLimits(30.0, 1, 10)),
        ((30, 100, 10**9), CacheLimits(30.0, 100, 10_000)),
        ((10**9, 10**9, 0), CacheLimits(86_400.0, 1_000_000, 1)),
    ],
)
def test_out_of_range_limits_are_clamped_with_a_warning(
    given: tuple[float, int, int], expected: CacheLimits
) -> None:
    limits, warnings = clamp_limits(*given)
    assert limits == expected
    assert warnings and all("out of range" in w for w in warnings)


def test_in_range_limits_pass_without_warnings() -> None:
    assert clamp_limits(30, 5000, 50) == (CacheLimits(30.0, 5000, 50), [])
