"""What the per-concern helpers (``versions``, ``playlists``) need of the tracker.

They receive this Protocol, not ``KitsuTracker``, so no helper imports the
tracker that imports it: the session, the project lookups and the task
resolution the tracker caches.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from onepiece.adapters.trackers.base import HierarchyProgress
from onepiece.adapters.trackers.kitsu.session import KitsuSession
from onepiece.domain.entities import HierarchyResult, ShotSpec


class KitsuContext(Protocol):
    session: KitsuSession
    status_map: dict[str, str]
    shot_task_type: str
    asset_task_type: str
    create_missing_hierarchy: bool

    def project_id(self, code: str) -> str: ...
    def project_extras(self, code: str) -> dict[str, Any]: ...
    def update_project_extras(self, code: str, change: Callable[[dict[str, Any]], Any]) -> None: ...
    def task_statuses(self) -> dict[str, str]: ...
    def task_on(self, project: str, kind: str, code: str, task_type: str) -> str: ...
    def task_project(self, task_id: str) -> str: ...
    def task_entity(self, task_id: str) -> str: ...
    def ensure_hierarchy(
        self,
        project: str,
        specs: Sequence[ShotSpec],
        progress: HierarchyProgress | None = None,
    ) -> HierarchyResult: ...
