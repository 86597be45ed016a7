"""Dashboard use cases: the /metrics summary and per-project dashboards.

Every upstream read goes through the ``DashboardCache`` (one bucket per kind
of query), so a warm dashboard answers from memory and a burst on an expired
entry reaches the tracker once. When the tracker is down, the figures come
from the last cached values and the project registry's file, and the result
carries a ``message`` saying so; nothing here turns an outage into a 500.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import TypeVar, cast

from onepiece.adapters.trackers.base import Tracker
from onepiece.config import Settings
from onepiece.domain.dashboard import (
    DashboardMetrics,
    IngestSummary,
    RenderSummary,
    ReviewProject,
    StatusFigures,
    review_for_project,
    review_totals,
    summarise_ingest,
)
from onepiece.domain.entities import TrackerCounts, Version
from onepiece.domain.project_dashboard import (
    ProjectDashboard,
    StatusTotals,
    build_project_dashboard,
    status_totals,
)
from onepiece.errors import EntityNotFound, OnePieceError, TrackerError, TrackerUnavailable
from onepiece.services.dashboard.cache import DashboardCache, Lookup
from onepiece.services.dashboard.media_durations import MediaDurations
from onepiece.services.dashboard.notes import DashboardNotes
from onepiece.services.dashboard.project_registry import ProjectRegistry, RegisteredProject
from onepiece.services.dashboard.sources import DashboardSources
from onepiece.state.ingest_runs_reader import parse_runs, read_ingest_runs

T = TypeVar("T")


@dataclass(frozen=True)
class ProjectSummary:
    project: RegisteredProject
    shots: int | None
    versions: int | None
    status: StatusTotals | None


@dataclass(frozen=True)
class ProjectsOverview:
    projects: list[ProjectSummary]
    status: StatusTotals | None  # every project together, same buckets
    synced_at: datetime | None
    source: str
    message: str | None = None
    notes: tuple[str, ...] = ()  # sources other than the tracker, each once
    tracker_fallback: str | None = None  # what stands in for the tracker while it is down


def ingest_summary(dashboard: DashboardService) -> IngestSummary:
    """From the state database when runs live there, else the registry file."""
    source = dashboard.sources.ingest_runs
    if source is not None:
        return summarise_ingest(parse_runs({"runs": source()}, source="state database"))
    return summarise_ingest(read_ingest_runs(dashboard.settings.ingest_registry_path))


class DashboardService:
    def __init__(
        self,
        settings: Settings,
        tracker: Callable[[], Tracker],
        cache: DashboardCache,
        registry: ProjectRegistry,
        durations: MediaDurations,
        sources: DashboardSources,
    ) -> None:
        self.settings = settings
        self.cache = cache
        self.registry = registry
        self.sources = sources
        self._tracker = tracker
        self._durations = durations

    def _fetch(
        self,
        notes: DashboardNotes,
        what: str,
        bucket: str,
        key: str,
        loader: Callable[[], T],
        *,
        project: str | None = None,
        records: Callable[[T], int] = lambda _value: 1,
        tracker: bool = True,
    ) -> T | None:
        """A cached value, a stale one while its source fails, or None and a note.

        ``EntityNotFound`` (a configured project the tracker does not know) is
        not an outage: it yields None without a note.
        """
        if tracker and notes.tracker_down is not None:
            cached = self.cache.peek(bucket, key)
            if cached is None:
                notes.add(f"{what} unavailable", notes.tracker_down)
                return None
            notes.add(f"{what} unavailable", notes.tracker_down, cached.fetched_at)
            return cast(T, cached.value)
        try:
            found = self.cache.get_or_load(
                bucket, key, loader, project=project, records=records, stale_on=(OnePieceError,)
            )
        except EntityNotFound:
            return None
        except OnePieceError as exc:
            notes.add(f"{what} unavailable", exc)
            return None
        if found.stale and found.error is not None:
            notes.add(f"{what} unavailable", found.error, found.fetched_at)
        return found.value

    fetch_cached = _fetch  # for the other dashboard views (trends)

    # -- /metrics ---------------------------------------------------------------------

    def metrics(self) -> Lookup[DashboardMetrics]:
        return self.cache.get_or_load(
            "metrics", "all", self._compose, records=lambda m: 1 + len(m.review_projects)
        )

    def _compose(self) -> DashboardMetrics:
        notes = DashboardNotes()
        projects = self._projects(notes)
        counts = self._counts(notes)
        ingest = self._fetch(
            notes, "ingest registry", "ingest", "runs", self._ingest, tracker=False
        )
        render = self._fetch(
            notes, "render jobs", "render", "summary", self.sources.render, tracker=False
        )
        errors = self._fetch(
            notes,
            "reconciliation",
            "reconcile",
            "differences",
            self.sources.reconcile,
            tracker=False,
        )
        review = [
            self._fetch(
                notes,
                f"review data for {p.code}",
                "review",
                p.code,
                partial(self._load_review, p.code),
                project=p.code,
                records=lambda r: r.clips,
            )
            or ReviewProject(p.code)
            for p in projects
        ]
        return DashboardMetrics(
            status=StatusFigures(
                projects=len(projects),
                shots=counts.shots if counts else 0,
                versions=counts.versions if counts else 0,
                errors=errors or 0,
            ),
            ingest=ingest or IngestSummary(),
            render=render or RenderSummary(),
            review_totals=review_totals(review),
            review_projects=review,
            message=notes.message,
            notes=notes.notes,
            tracker_fallback=notes.tracker_fallback,
        )

    def _counts(self, notes: DashboardNotes) -> TrackerCounts | None:
        return self._fetch(
            notes, "tracker counts", "counts", "all", lambda: self._tracker().counts()
        )

    def _project_counts(self, project: str) -> TrackerCounts:
        return self._tracker().counts(project)

    def _ingest(self) -> IngestSummary:
        return ingest_summary(self)

    def _load_review(self, project: str) -> ReviewProject:
        tracker = self._tracker()
        try:
            playlists = tracker.list_playlists(project)
        except EntityNotFound:
            return ReviewProject(project)  # configured but not (yet) in the tracker
        codes = list(dict.fromkeys(code for p in playlists for code in p.versions))
        versions: dict[str, Version | None] = {c: tracker.find_version(project, c) for c in codes}
        durations = self._durations.durations(v for v in versions.values() if v is not None)
        return review_for_project(project, playlists, versions, durations)

    # -- project registry -------------------------------------------------------------

    def _projects(self, notes: DashboardNotes) -> list[RegisteredProject]:
        try:
            found = self.cache.get_or_load(
                "registry", "projects", self.registry.sync, records=lambda s: len(s.projects)
            )
            return found.value.projects
        except TrackerError as exc:
            state = self.registry.mark_unavailable(exc.message)
            since = f", synced at {state.synced_at.isoformat()}" if state.synced_at else ""
            # "tracker" here means the list this process last read from it.
            source = "the last sync" if state.source == "tracker" else state.source
            notes.tracker_is_down(exc, f"project list from {source}{since}")
            return state.projects

    # -- /projects --------------------------------------------------------------------

    def overview(self) -> ProjectsOverview:
        notes = DashboardNotes()
        projects = self._projects(notes)
        counts = self._counts(notes)
        status_map = self.settings.status_map
        summaries = []
        for project in projects:
            per_project = self._fetch(
                notes,
                f"counts for {project.code}",
                "project_counts",
                project.code,
                partial(self._project_counts, project.code),
                project=project.code,
            )
            summaries.append(
                ProjectSummary(
                    project=project,
                    shots=per_project.shots if per_project else None,
                    versions=per_project.versions if per_project else None,
                    status=_status(per_project, status_map) if per_project else None,
                )
            )
        state = self.registry.state()
        return ProjectsOverview(
            projects=summaries,
            status=_status(counts, status_map) if counts else None,
            synced_at=state.synced_at,
            source=state.source,
            message=notes.message,
            notes=notes.notes,
            tracker_fallback=notes.tracker_fallback,
        )

    def project(self, code: str) -> tuple[Lookup[ProjectDashboard], str | None]:
        """One project's dashboard and, when stale, why. Raises EntityNotFound."""
        found = self.cache.get_or_load(
            "project",
            code,
            lambda: self._load_project(code),
            project=code,
            records=lambda d: d.shots + d.versions,
            stale_on=(TrackerUnavailable,),
        )
        notes = DashboardNotes()
        if found.stale and found.error is not None:
            notes.add("tracker unavailable", found.error, found.fetched_at)
        return found, notes.message

    def _load_project(self, code: str) -> ProjectDashboard:
        tracker = self._tracker()
        project = tracker.get_project(code)
        return build_project_dashboard(
            project=project.code,
            name=project.name or project.code,
            episodes=tracker.list_episodes(code),
            shots=tracker.list_shots(code),
            versions=tracker.list_versions(code),
            status_map=self.settings.status_map,
        )


def _status(counts: TrackerCounts, status_map: dict[str, str]) -> StatusTotals:
    return status_totals(
        counts.shot_status.items(),
        counts.version_status.items(),
        status_map,
    )
