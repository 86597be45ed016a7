"""The dashboard's trend charts and latest thumbnails (``GET /summary/trends``).

Three sources, each read the cheap way:

- the ingest run registry (at most a thousand runs in one JSON file), parsed
  again only when the file changed (its identity, like ``IngestMemo``);
- render jobs per day and outcome: one SQL aggregate on the job history,
  fresh on every call so a live event shows at once;
- the tracker's Versions of each dashboard project and whether the newest
  have a review thumbnail: through the dashboard cache (``trends`` bucket,
  ``dashboard.cache_ttl``), stale values while the tracker is down.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from onepiece.adapters.storage.base import Storage
from onepiece.adapters.trackers.base import Tracker
from onepiece.domain.dashboard import metric_status
from onepiece.domain.dashboard_trends import (
    DailySeries,
    ingest_trend,
    render_trend,
    version_trend,
    window,
)
from onepiece.domain.entities import Version
from onepiece.domain.render import JobStatus
from onepiece.domain.status import bucket_for
from onepiece.errors import IntegrityError, OnePieceError, StorageUnavailable
from onepiece.services.dashboard.notes import DashboardNotes
from onepiece.services.dashboard.service import DashboardService
from onepiece.services.review_media.catalog import has_thumbnail

LATEST_LIMIT = 12  # thumbnails on the dashboard
DEFAULT_DAYS = 14


@dataclass(frozen=True)
class LatestVersion:
    project: str
    code: str
    status: str | None
    bucket: str
    shot: str | None
    created_at: datetime | None
    thumbnail: bool


@dataclass(frozen=True)
class ProjectVersions:
    versions: list[tuple[datetime | None, str | None]]  # (created_at, status) of each
    latest: list[LatestVersion]


@dataclass(frozen=True)
class Trends:
    generated_at: datetime
    days: list[str]
    ingest_runs: DailySeries
    ingest_volume: DailySeries
    render: DailySeries
    versions: DailySeries
    latest: list[LatestVersion]
    message: str | None = None


class RunsMemo:
    """The registry's raw runs, re-read only when the file changed (mtime, size, inode)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: tuple[tuple[int, int, int] | None, list[dict[str, Any]]] | None = None

    def runs(self, path: Path) -> list[dict[str, Any]]:
        try:
            st = os.stat(path)
            key: tuple[int, int, int] | None = (st.st_mtime_ns, st.st_size, st.st_ino)
        except FileNotFoundError:
            return []
        last = self._last
        if last is not None and last[0] == key:
            return last[1]
        with self._lock:
            try:
                data = json.loads(path.read_bytes())
            except OSError as exc:
                raise StorageUnavailable(f"cannot read the ingest run registry: {exc}") from exc
            except ValueError as exc:
                raise IntegrityError("the ingest run registry is not valid JSON") from exc
            found = data.get("runs") if isinstance(data, dict) else None
            runs = (
                [run for run in found if isinstance(run, dict)] if isinstance(found, list) else []
            )
            self._last = (key, runs)
        return runs


_runs_memo = RunsMemo()

RENDER_SERIES = tuple(dict.fromkeys(metric_status(status.value) for status in JobStatus))


def _project_versions(
    tracker_of: Callable[[], Tracker],
    storage_of: Callable[[], Storage],
    project: str,
    thumbnail_format: str,
    status_map: Mapping[str, str],
) -> ProjectVersions:
    tracker, storage = tracker_of(), storage_of()
    versions = tracker.list_versions(project)  # newest first

    def latest(version: Version) -> LatestVersion:
        return LatestVersion(
            project=project,
            code=version.code,
            status=version.status,
            bucket=bucket_for(version.status, status_map),
            shot=version.shot or version.asset,
            created_at=version.created_at,
            thumbnail=has_thumbnail(version, storage, thumbnail_format),
        )

    return ProjectVersions(
        versions=[(v.created_at, v.status) for v in versions],
        latest=[latest(v) for v in versions[:LATEST_LIMIT]],
    )


def _newest(items: list[LatestVersion]) -> list[LatestVersion]:
    floor = datetime.min.replace(tzinfo=UTC)

    def moment(item: LatestVersion) -> datetime:
        created = item.created_at
        if created is None:
            return floor
        return created if created.tzinfo else created.replace(tzinfo=UTC)

    return sorted(items, key=moment, reverse=True)[:LATEST_LIMIT]


def dashboard_trends(
    dashboard: DashboardService,
    tracker: Callable[[], Tracker],
    storage: Callable[[], Storage],
    days: int = DEFAULT_DAYS,
    *,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Trends:
    """Daily series for the last ``days`` UTC days and the newest Versions' thumbnails."""
    moment = now()
    span = window(moment.astimezone(UTC).date(), days)
    since = datetime.combine(span[0], datetime.min.time(), tzinfo=UTC).timestamp()
    notes = DashboardNotes()
    messages: list[str] = []
    try:
        ingest = ingest_trend(_runs_memo.runs(dashboard.settings.ingest_registry_path), span)
    except OnePieceError as exc:
        messages.append(f"ingest registry: {exc.message}")
        ingest = ingest_trend([], span)
    try:
        daily = dashboard.sources.render_daily(since)
        rows = [(datetime.fromisoformat(day).date(), status, n) for day, status, n in daily]
    except OnePieceError as exc:
        messages.append(f"render jobs: {exc.message}")
        rows = []
    render = render_trend(rows, RENDER_SERIES, span)

    status_map = dashboard.settings.status_map
    thumbnail_format = dashboard.settings.review_media.thumbnail_format
    created: list[tuple[datetime | None, str | None]] = []
    latest: list[LatestVersion] = []
    for entry in dashboard.overview().projects:
        code = entry.project.code
        found = dashboard.fetch_cached(
            notes,
            f"versions of {code}",
            "trends",
            code,
            partial(_project_versions, tracker, storage, code, thumbnail_format, status_map),
            project=code,
            records=lambda value: len(value.versions),
        )
        if found is not None:
            created.extend(found.versions)
            latest.extend(found.latest)
    messages.extend(notes.notes)
    if notes.message:
        messages.append(notes.message)
    return Trends(
        generated_at=moment,
        days=ingest["runs"].days,
        ingest_runs=ingest["runs"],
        ingest_volume=ingest["volume"],
        render=render,
        versions=version_trend(created, span, status_map),
        latest=_newest(latest),
        message="; ".join(dict.fromkeys(messages)) or None,
    )
