"""The Tracker port: what OnePiece needs from a production tracker.

Adapters: ``local`` (SQLite, the embedded default) and ``shotgrid``
(shotgun_api3). Entities are addressed by natural keys (project code, entity
code). Adapters translate SDK errors into ``onepiece.errors`` tracker errors.
Bulk operations take many entities at once so remote adapters can batch them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

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
from onepiece.domain.entities import Sequence as SequenceEntity

# Called by ensure_hierarchy per entity as its fate is known:
# (kind "Episode"/"Sequence"/"Shot"/"Asset", code, "created"/"existing"/"failed").
HierarchyProgress = Callable[[str, str, str], None]


@runtime_checkable
class Tracker(Protocol):
    name: str

    def ping(self) -> str:
        """Check the connection; return a short description. Raises TrackerUnavailable."""

    def close(self) -> None: ...

    # Projects
    def list_projects(self, include_archived: bool = False) -> list[Project]: ...
    def get_project(self, code: str) -> Project:
        """Raises EntityNotFound."""

    def ensure_project(self, code: str, name: str | None = None) -> tuple[Project, bool]:
        """Find or create; returns (project, created)."""

    # Hierarchy
    def ensure_hierarchy(
        self,
        project: str,
        specs: Sequence[ShotSpec],
        progress: HierarchyProgress | None = None,
    ) -> HierarchyResult:
        """Create missing episodes, sequences, shots and assets, idempotently, in bulk.

        ``progress`` (optional) hears about each entity as soon as its outcome is
        known, so a long remote setup can show progress shot by shot.
        """

    def update_shots(self, project: str, changes: Mapping[str, Mapping[str, Any]]) -> None:
        """Set fields (cut_in, cut_out, status, description) of existing shots, by code."""
        ...

    def list_episodes(self, project: str) -> list[Episode]: ...
    def list_sequences(self, project: str) -> list[SequenceEntity]: ...
    def list_shots(self, project: str) -> list[Shot]: ...
    def list_assets(self, project: str) -> list[Asset]: ...

    # Versions
    def find_version(self, project: str, code: str) -> Version | None: ...
    def create_versions(self, versions: Sequence[Version]) -> list[Version]:
        """Create all or nothing. Raises VersionConflict when a code already exists."""

    def update_versions(
        self, project: str, updates: Mapping[str, Mapping[str, Any]]
    ) -> list[Version]:
        """Update fields (status, description, path, ...) of versions by code."""

    def delete_versions(self, project: str, codes: Sequence[str]) -> int: ...
    def list_versions(
        self,
        project: str,
        *,
        status: str | None = None,
        episodes: Sequence[str] | None = None,
        limit: int | None = None,
    ) -> list[Version]: ...

    # Playlists
    def create_playlist(
        self, project: str, code: str, description: str | None = None
    ) -> tuple[Playlist, bool]: ...
    def add_to_playlist(self, project: str, code: str, versions: Sequence[str]) -> Playlist: ...
    def get_playlist(self, project: str, code: str) -> Playlist: ...
    def list_playlists(self, project: str) -> list[Playlist]: ...

    # Published files
    def create_published_files(self, files: Sequence[PublishedFile]) -> list[PublishedFile]: ...
    def list_published_files(
        self, project: str, version: str | None = None
    ) -> list[PublishedFile]: ...

    # Aggregates for dashboards (SQL / summarize where possible, not Python loops)
    def counts(self, project: str | None = None) -> TrackerCounts: ...
