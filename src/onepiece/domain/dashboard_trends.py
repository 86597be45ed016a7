"""Daily trends for the dashboard's charts: ingest, render jobs, Versions.

Pure. Each trend is a list of UTC days (oldest first, ``days`` of them, the
last one today) and, per series, one count per day, so a chart draws them
as they come. Records outside the window, or without a timestamp, are left
out; a status the series do not name goes in ``other``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from onepiece.domain.status import BUCKETS, bucket_for

MAX_DAYS = 90
INGEST_SERIES = ("completed", "failed", "running", "other")
VERSION_SERIES = (*BUCKETS, "unknown")


@dataclass(frozen=True)
class DailySeries:
    days: list[str]  # ISO dates, oldest first
    series: dict[str, list[int]] = field(default_factory=dict)


def window(today: date, days: int) -> list[date]:
    """The ``days`` UTC days ending with ``today``, oldest first."""
    return [today - timedelta(days=offset) for offset in range(days - 1, -1, -1)]


def _day_of(moment: datetime | None) -> date | None:
    if moment is None:
        return None
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).date()


def _series(
    days: list[date], names: Iterable[str], counted: Iterable[tuple[date | None, str, int]]
) -> DailySeries:
    index = {day: position for position, day in enumerate(days)}
    series = {name: [0] * len(days) for name in names}
    for day, name, amount in counted:
        if day is None or day not in index:
            continue
        series[name if name in series else "other"][index[day]] += amount
    return DailySeries([day.isoformat() for day in days], series)


def parse_time(value: Any) -> datetime | None:
    """An ISO-8601 timestamp from a record; naive ones are UTC, anything else None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def ingest_trend(runs: Iterable[Mapping[str, Any]], days: list[date]) -> dict[str, DailySeries]:
    """Runs started per day by outcome, and the bytes and files they planned."""
    rows = [(_day_of(parse_time(run.get("started_at"))), run) for run in runs]
    runs_by_status = _series(
        days, INGEST_SERIES, ((day, str(run.get("status", "")).lower(), 1) for day, run in rows)
    )

    def amount(run: Mapping[str, Any], key: str) -> int:
        counts = run.get("counts")
        value = counts.get(key) if isinstance(counts, Mapping) else None
        return value if isinstance(value, int) and not isinstance(value, bool) else 0

    planned = (
        (day, name, amount(run, key))
        for day, run in rows
        for name, key in (("bytes", "bytes_planned"), ("files", "files"))
    )
    volume = _series(days, ("bytes", "files", "other"), planned)
    volume.series.pop("other")
    return {"runs": runs_by_status, "volume": volume}


def render_trend(
    daily: Iterable[tuple[date, str, int]], statuses: Iterable[str], days: list[date]
) -> DailySeries:
    """Render jobs submitted per day, by outcome (``(day, status, count)`` rows)."""
    return _series(days, (*statuses, "other"), daily)


def version_trend(
    versions: Iterable[tuple[datetime | None, str | None]],
    days: list[date],
    status_map: Mapping[str, str] | None = None,
) -> DailySeries:
    """Versions created per day, by status bucket (``(created_at, status)`` pairs)."""
    return _series(
        days,
        (*VERSION_SERIES, "other"),
        ((_day_of(created), bucket_for(status, status_map), 1) for created, status in versions),
    )
