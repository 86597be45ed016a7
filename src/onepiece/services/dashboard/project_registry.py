"""The dashboard's project list: configuration plus the tracker, persisted to disk.

The list combines ``dashboard.projects`` (``ONEPIECE_DASHBOARD_PROJECTS`` or
the profile) with the tracker's active projects. Every successful sync
overwrites ``dashboard-projects.json`` atomically and records its time. When
the tracker cannot be reached, the in-memory list comes from that file, so the
dashboard keeps answering. A successful sync prunes projects archived or
deleted upstream; configured projects the tracker has never listed stay (the
configuration is the studio's word for them). A failed write logs a warning
and the registry keeps serving from memory.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from onepiece.adapters.trackers.base import Tracker
from onepiece.atomicio import write_json
from onepiece.errors import TrackerError
from onepiece.state.db.ports import ProjectRegistryStore, ProjectSnapshot

log = logging.getLogger("onepiece.dashboard")

FILE_VERSION = 1


@dataclass(frozen=True)
class RegisteredProject:
    code: str
    name: str = ""
    configured: bool = False  # listed in the configuration
    in_tracker: bool = False  # listed by the tracker at the last successful sync


@dataclass(frozen=True)
class RegistryState:
    projects: list[RegisteredProject]
    synced_at: datetime | None  # last successful sync with the tracker
    source: str  # "tracker", "file" or "config"
    last_error: str | None = None


def merge_projects(
    configured: Sequence[str],
    active: Sequence[tuple[str, str]],
    archived: Sequence[str],
    seen_before: Sequence[str] = (),
) -> list[RegisteredProject]:
    """Configured ∪ active, minus archived and minus deleted (pure; sorted by code).

    A configured project counts as deleted upstream when the tracker listed it
    at the previous sync (``seen_before``) and no longer does.
    """
    listed = {code for code, _ in active} | set(archived)
    gone = set(archived) | (set(seen_before) - listed)
    merged: dict[str, RegisteredProject] = {}
    for code, name in active:
        merged[code] = RegisteredProject(code, name, code in configured, True)
    for code in configured:
        if code not in merged and code not in gone:
            merged[code] = RegisteredProject(code, code, True, False)
    return [merged[code] for code in sorted(merged)]


class ProjectRegistry:
    def __init__(
        self,
        tracker: Callable[[], Tracker],
        configured: Sequence[str],
        path: Path,
        *,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        store: ProjectRegistryStore | None = None,
    ) -> None:
        # With a store (the state database) the list is kept there, not in ``path``.
        self._store = store
        self._tracker = tracker
        self._configured = list(dict.fromkeys(configured))
        self._path = path
        self._now = now
        self._lock = threading.Lock()
        self._state = RegistryState(
            projects=merge_projects(self._configured, [], []), synced_at=None, source="config"
        )

    @property
    def path(self) -> Path:
        return self._path

    def state(self) -> RegistryState:
        with self._lock:
            return self._state

    def codes(self) -> list[str]:
        return [p.code for p in self.state().projects]

    def hydrate(self) -> RegistryState:
        """Start-up: sync with the tracker, or fall back to the file when it is down.

        Any tracker error (unreachable, or refusing our credentials) falls back, so
        the service starts and says what is wrong instead of refusing to start.
        """
        try:
            return self.sync()
        except TrackerError as exc:
            log.warning("tracker unavailable at start-up (%s); using %s", exc.message, self._path)
            return self.load_file(error=exc.message)

    def sync(self) -> RegistryState:
        """Refresh from the tracker and persist. Raises TrackerUnavailable."""
        tracker = self._tracker()
        listed = tracker.list_projects(include_archived=True)
        active = [(p.code, p.name or p.code) for p in listed if not p.archived]
        archived = [p.code for p in listed if p.archived]
        with self._lock:
            previous = self._state.projects
            seen = [p.code for p in previous if p.in_tracker]
            state = RegistryState(
                projects=merge_projects(self._configured, active, archived, seen),
                synced_at=self._now(),
                source="tracker",
            )
            self._state = state
        pruned = sorted({p.code for p in previous} - {p.code for p in state.projects})
        if pruned:
            log.info("projects pruned (archived or deleted upstream): %s", ", ".join(pruned))
        self._write(state)
        return state

    def mark_unavailable(self, error: str) -> RegistryState:
        """Record a failed sync; the current list keeps serving."""
        with self._lock:
            current = self._state
            self._state = RegistryState(current.projects, current.synced_at, current.source, error)
            return self._state

    def load_file(self, *, error: str | None = None) -> RegistryState:
        """Fill the in-memory list from the file (plus configuration)."""
        try:
            data = self._read_saved()
            rows = data["projects"]
            projects = [RegisteredProject(**_known_fields(row)) for row in rows]
            synced = data.get("synced_at")
            synced_at = datetime.fromisoformat(synced) if synced else None
        except FileNotFoundError:
            return self.mark_unavailable(error or f"{self._path} does not exist yet")
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("cannot read %s (%s); serving the configured projects", self._path, exc)
            return self.mark_unavailable(error or f"unreadable {self._path.name}")
        codes = {p.code for p in projects}
        projects += [
            RegisteredProject(c, c, True, False) for c in self._configured if c not in codes
        ]
        state = RegistryState(sorted(projects, key=lambda p: p.code), synced_at, "file", error)
        with self._lock:
            self._state = state
        return state

    def _read_saved(self) -> dict[str, Any]:
        if self._store is None:
            return cast(dict[str, Any], json.loads(self._path.read_text(encoding="utf-8")))
        snapshot = self._store.load()
        if snapshot is None:
            raise FileNotFoundError(self._path)
        return {"projects": snapshot.projects, "synced_at": snapshot.synced_at}

    def _write(self, state: RegistryState) -> None:
        if self._store is not None:
            rows = [asdict(p) for p in state.projects]
            synced = state.synced_at.isoformat() if state.synced_at else None
            try:
                self._store.save(ProjectSnapshot(rows, synced))
            except Exception as exc:  # noqa: BLE001 - any store error: keep serving
                log.warning("cannot save the project list (%s); serving from memory", exc)
            return
        payload = {
            "version": FILE_VERSION,
            "synced_at": state.synced_at.isoformat() if state.synced_at else None,
            "projects": [asdict(p) for p in state.projects],
        }
        try:
            write_json(self._path, payload)
        except OSError as exc:
            log.warning("cannot write %s (%s); serving from memory", self._path, exc)


def _known_fields(row: Any) -> dict[str, Any]:
    if not isinstance(row, dict) or not isinstance(row.get("code"), str):
        raise ValueError("project rows need a code")
    fields = RegisteredProject.__dataclass_fields__
    return {key: value for key, value in row.items() if key in fields}
