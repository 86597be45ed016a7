"""An in-memory Tracker for web tests: records what it was asked and can go down.

Implements the Tracker protocol over plain dicts. ``available = False`` makes
every call raise TrackerUnavailable, as a tracker that went down mid-run
would; ``calls`` counts calls per method so tests can assert how often the
upstream was reached (state, not call order). ``gate``, when set to an
unset ``threading.Event``, holds every call until the test sets it, so a
test can pile up concurrent requests behind one slow upstream call. Lives under tests/: never a
product fallback.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from onepiece.adapters.trackers.base import HierarchyProgress
from onepiece.domain.entities import (
    Asset,
    Episode,
    HierarchyResult,
    Playlist,
    Project,
    PublishedFile,
    Shot,
    ShotSpec,
    TrackerCounts,
    Version,
)
from onepiece.domain.entities import (
    Sequence as SequenceEntity,
)
from onepiece.errors import EntityNotFound, TrackerUnavailable, VersionConflict


class RecordingTracker:
    name = "double"

    def __init__(self) -> None:
        self.available = True
        self.calls: Counter[str] = Counter()
        self.projects: dict[str, Project] = {}
        self.episodes: dict[str, list[Episode]] = {}
        self.shots: dict[str, list[Shot]] = {}
        self.versions: dict[str, dict[str, Version]] = {}
        self.playlists: dict[str, dict[str, Playlist]] = {}
        self.closed = False
        self.gate: threading.Event | None = None
        self.entered = threading.Event()  # set by the first call that reaches the gate
        self._lock = threading.Lock()

    # -- test set-up helpers -------------------------------------------------------------

    def add_project(self, code: str, name: str = "", archived: bool = False) -> None:
        self.projects[code] = Project(code, name or code, archived)
        for table in (self.episodes, self.shots):
            table.setdefault(code, [])
        self.versions.setdefault(code, {})
        self.playlists.setdefault(code, {})

    def remove_project(self, code: str) -> None:
        self.projects.pop(code, None)

    # -- protocol ------------------------------------------------------------------------

    def _enter(self, method: str, project: str | None = None) -> None:
        with self._lock:
            self.calls[method] += 1
        if self.gate is not None:
            self.entered.set()
            self.gate.wait(30)
        if not self.available:
            raise TrackerUnavailable("tracker double is down", hint="set available = True")
        if project is not None and project not in self.projects:
            raise EntityNotFound(f"no project {project!r}")

    def ping(self) -> str:
        self._enter("ping")
        return "tracker double"

    def close(self) -> None:
        self.closed = True

    def list_projects(self, include_archived: bool = False) -> list[Project]:
        self._enter("list_projects")
        return [p for p in self.projects.values() if include_archived or not p.archived]

    def get_project(self, code: str) -> Project:
        self._enter("get_project", code)
        return self.projects[code]

    def ensure_project(self, code: str, name: str | None = None) -> tuple[Project, bool]:
        self._enter("ensure_project")
        created = code not in self.projects
        if created:
            self.add_project(code, name or code)
        return self.projects[code], created

    def ensure_hierarchy(
        self,
        project: str,
        specs: Sequence[ShotSpec],
        progress: HierarchyProgress | None = None,
    ) -> HierarchyResult:
        self._enter("ensure_hierarchy", project)
        result = HierarchyResult()
        for spec in specs:
            known = {s.code for s in self.shots[project]}
            if spec.episode and spec.episode not in {e.code for e in self.episodes[project]}:
                self.episodes[project].append(Episode(project, spec.episode))
            result.add("Shot", spec.shot, spec.shot not in known)
            if progress is not None:
                progress("Shot", spec.shot, "existing" if spec.shot in known else "created")
            if spec.shot not in known:
                self.shots[project].append(
                    Shot(project, spec.shot, spec.sequence, spec.episode, spec.status)
                )
        return result

    def update_shots(self, project: str, changes: Mapping[str, Mapping[str, Any]]) -> None:
        self._enter("update_shots", project)
        self.shots[project] = [
            replace(shot, **changes.get(shot.code, {})) for shot in self.shots[project]
        ]

    def list_episodes(self, project: str) -> list[Episode]:
        self._enter("list_episodes", project)
        return list(self.episodes[project])

    def list_sequences(self, project: str) -> list[SequenceEntity]:
        self._enter("list_sequences", project)
        return []

    def list_shots(self, project: str) -> list[Shot]:
        self._enter("list_shots", project)
        return list(self.shots[project])

    def list_assets(self, project: str) -> list[Asset]:
        self._enter("list_assets", project)
        return []

    def find_version(self, project: str, code: str) -> Version | None:
        self._enter("find_version", project)
        return self.versions[project].get(code)

    def create_versions(self, versions: Sequence[Version]) -> list[Version]:
        self._enter("create_versions")
        for version in versions:
            if version.code in self.versions.get(version.project, {}):
                raise VersionConflict(f"version {version.code} exists")
        for version in versions:
            self.versions.setdefault(version.project, {})[version.code] = version
        return list(versions)

    def update_versions(
        self, project: str, updates: Mapping[str, Mapping[str, Any]]
    ) -> list[Version]:
        self._enter("update_versions", project)
        table = self.versions[project]
        for code, fields in updates.items():
            table[code] = replace(table[code], **fields)
        return [table[code] for code in updates]

    def delete_versions(self, project: str, codes: Sequence[str]) -> int:
        self._enter("delete_versions", project)
        return sum(self.versions[project].pop(code, None) is not None for code in codes)

    def list_versions(
        self,
        project: str,
        *,
        status: str | None = None,
        episodes: Sequence[str] | None = None,
        limit: int | None = None,
    ) -> list[Version]:
        self._enter("list_versions", project)
        found = [
            v
            for v in self.versions[project].values()
            if (status is None or v.status == status) and (not episodes or v.episode in episodes)
        ]
        return found[:limit] if limit is not None else found

    def create_playlist(
        self, project: str, code: str, description: str | None = None
    ) -> tuple[Playlist, bool]:
        self._enter("create_playlist", project)
        created = code not in self.playlists[project]
        if created:
            self.playlists[project][code] = Playlist(project, code, description)
        return self.playlists[project][code], created

    def add_to_playlist(self, project: str, code: str, versions: Sequence[str]) -> Playlist:
        self._enter("add_to_playlist", project)
        playlist = self.playlists[project][code]
        updated = replace(playlist, versions=(*playlist.versions, *versions))
        self.playlists[project][code] = updated
        return updated

    def get_playlist(self, project: str, code: str) -> Playlist:
        self._enter("get_playlist", project)
        return self.playlists[project][code]

    def list_playlists(self, project: str) -> list[Playlist]:
        self._enter("list_playlists", project)
        return list(self.playlists[project].values())

    def create_published_files(self, files: Sequence[PublishedFile]) -> list[PublishedFile]:
        self._enter("create_published_files")
        return list(files)

    def list_published_files(self, project: str, version: str | None = None) -> list[PublishedFile]:
        self._enter("list_published_files", project)
        return []

    def counts(self, project: str | None = None) -> TrackerCounts:
        self._enter("counts", project)
        codes = [project] if project else [c for c, p in self.projects.items() if not p.archived]
        shots = [s for c in codes for s in self.shots.get(c, [])]
        versions = [v for c in codes for v in self.versions.get(c, {}).values()]
        return TrackerCounts(
            projects=len(codes),
            episodes=sum(len(self.episodes.get(c, [])) for c in codes),
            sequences=0,
            shots=len(shots),
            versions=len(versions),
            version_status=dict(Counter(v.status or "" for v in versions)),
            shot_status=dict(Counter(s.status or "" for s in shots)),
        )
