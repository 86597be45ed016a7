"""Daily trend series: UTC days, outcomes, volume, status buckets; odd records left out."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from onepiece.domain.dashboard_trends import (
    ingest_trend,
    parse_time,
    render_trend,
    version_trend,
    window,
)

TODAY = date(2024, 3, 10)
DAYS = window(TODAY, 3)  # 8, 9, 10 March


def test_the_window_ends_today_oldest_first() -> None:
    assert window(TODAY, 3) == [date(2024, 3, 8), date(2024, 3, 9), TODAY]
    assert window(TODAY, 1) == [TODAY]


def test_ingest_runs_count_by_the_utc_day_they_started() -> None:
    paris = timezone(timedelta(hours=1))
    runs = [
        {"status": "completed", "started_at": "2024-03-10T00:30:00+01:00"},  # 9 March UTC
        {"status": "FAILED", "started_at": "2024-03-10T08:00:00Z"},
        {"status": "running", "started_at": "2024-03-10T09:00:00"},  # naive: UTC
        {"status": "weird", "started_at": datetime(2024, 3, 8, 23, tzinfo=paris).isoformat()},
        {"status": "completed", "started_at": "2024-03-07T12:00:00Z"},  # before the window
        {"status": "completed", "started_at": "2024-03-11T12:00:00Z"},  # after it
        {"status": "completed", "started_at": "not a time"},
        {"status": "completed"},
    ]
    series = ingest_trend(runs, DAYS)["runs"]
    assert series.days == ["2024-03-08", "2024-03-09", "2024-03-10"]
    assert series.series == {
        "completed": [0, 1, 0],
        "failed": [0, 0, 1],
        "running": [0, 0, 1],
        "other": [1, 0, 0],
    }


def test_ingest_volume_sums_planned_bytes_and_files_ignoring_odd_counts() -> None:
    runs = [
        {"started_at": "2024-03-10T01:00:00Z", "counts": {"bytes_planned": 5, "files": 2}},
        {"started_at": "2024-03-10T02:00:00Z", "counts": {"bytes_planned": 7, "files": True}},
        {"started_at": "2024-03-09T02:00:00Z", "counts": {"bytes_planned": "9"}},
        {"started_at": "2024-03-09T02:00:00Z", "counts": None},
    ]
    volume = ingest_trend(runs, DAYS)["volume"]
    assert volume.series == {"bytes": [0, 0, 12], "files": [0, 0, 2]}


def test_render_jobs_by_outcome_with_unknown_statuses_in_other() -> None:
    rows = [(TODAY, "completed", 3), (TODAY, "failed", 1), (date(2024, 3, 8), "lost", 2)]
    trend = render_trend(rows, ("queued", "completed", "failed"), DAYS)
    assert trend.series == {
        "queued": [0, 0, 0],
        "completed": [0, 0, 3],
        "failed": [0, 0, 1],
        "other": [2, 0, 0],
    }


def test_versions_by_status_bucket_with_the_studio_map() -> None:
    at = datetime(2024, 3, 9, 12, tzinfo=UTC)
    versions = [(at, "apr"), (at, "Approved"), (at, "rev"), (at, None), (None, "apr"), (at, "x")]
    trend = version_trend(versions, DAYS, {"x": "on_hold"})
    assert trend.series["approved"] == [0, 2, 0]
    assert trend.series["review"] == [0, 1, 0]
    assert trend.series["unknown"] == [0, 1, 0]
    assert trend.series["on_hold"] == [0, 1, 0]
    assert sum(sum(values) for values in trend.series.values()) == 5  # the undated one is out


def test_parse_time_takes_z_and_naive_as_utc() -> None:
    assert parse_time("2024-03-10T08:00:00Z") == datetime(2024, 3, 10, 8, tzinfo=UTC)
    assert parse_time("2024-03-10T08:00:00") == datetime(2024, 3, 10, 8, tzinfo=UTC)
    assert parse_time("") is None and parse_time(5) is None and parse_time("soon") is None
