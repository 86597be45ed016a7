"""How the pages print figures (the same shapes live.js uses when it updates them)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from onepiece.web.page_format import buckets, duration, number, when


def test_numbers_get_thousands_separators_and_unknown_is_a_dash() -> None:
    assert number(1234567) == "1,234,567"
    assert number(0) == "0"
    assert number(None) == "–"


def test_durations_round_half_up_like_the_browser() -> None:
    assert duration(4.5) == "0:05"  # Python's round() would say 0:04
    assert duration(59.4) == "0:59"
    assert duration(3600 + 62) == "1:01:02"
    assert duration(None) == "–"


def test_status_buckets_largest_first_without_zeros() -> None:
    assert buckets({"final": 1, "in_progress": 2, "waiting": 0}) == "in progress 2 · final 1"
    assert buckets({}) == "–"
    assert buckets({"waiting": 0}) == "–"
    assert buckets(None) == "–"


def test_times_are_printed_in_utc_for_the_first_paint() -> None:
    paris = timezone(timedelta(hours=2))
    assert when(datetime(2024, 5, 1, 12, 30, tzinfo=paris)) == "2024-05-01 10:30 UTC"
    assert when(datetime(2024, 5, 1, 12, 30)) == "2024-05-01 12:30 UTC"  # naive taken as UTC
    assert when(datetime(2024, 5, 1, 12, 30, tzinfo=UTC)) == "2024-05-01 12:30 UTC"
    assert when(None) == "never"
