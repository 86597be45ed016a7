"""Store ports: what the services need from persisted state, whatever keeps it.

Each is a small ``Protocol``; the SQLAlchemy stores beside this module
implement them on SQLite and PostgreSQL alike (the contract suite in
tests/integration/state_db runs on both). Records are the documents the file
formats held (docs/ingest_runs.md, the delivery registry...), so the services
keep their shapes when the lead wires the stores in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from onepiece.state.deliveries import DeliveryRecord


class IngestRunStore(Protocol):
    def runs(self) -> list[dict[str, Any]]:
        """All runs, oldest first."""

    def get(self, run_id: str) -> dict[str, Any] | None: ...

    def save(self, run: dict[str, Any]) -> None:
        """Insert or replace ``run`` by its ``id``."""


class DeliveryStore(Protocol):
    def add(self, record: DeliveryRecord) -> DeliveryRecord: ...

    def list(self, project: str | None = None) -> list[DeliveryRecord]:
        """Newest first."""

    def get(self, project: str, delivery_id: str) -> DeliveryRecord:
        """Raises ``EntityNotFound``."""


class ReconcileStore(Protocol):
    def read(self) -> dict[str, dict[str, Any]]:
        """``"project:scope"`` -> {"project", "scope", "total", "summary", "at"}."""

    def record(self, project: str, scope: str, summary: dict[str, int]) -> None: ...

    def total(self) -> int:
        """Differences found by the latest version-scope run of each project."""


@dataclass(frozen=True)
class ProjectSnapshot:
    """The dashboard project registry as last synced (rows as in dashboard-projects.json)."""

    projects: list[dict[str, Any]]  # {"code", "name", "configured", "in_tracker"}
    synced_at: str | None  # ISO 8601


class ProjectRegistryStore(Protocol):
    def load(self) -> ProjectSnapshot | None:
        """The last saved snapshot, None when nothing was ever saved."""

    def save(self, snapshot: ProjectSnapshot) -> None:
        """Replace the whole list."""


@dataclass(frozen=True)
class MediaFact:
    size: int
    mtime_ns: int
    seconds: float | None


class MediaFactsStore(Protocol):
    """Derived media facts (clip durations) keyed by path and file fingerprint."""

    def get(self, path: str) -> MediaFact | None: ...

    def put(self, path: str, fact: MediaFact) -> None: ...


class IdempotencyStore(Protocol):
    def claim(self, key: str, request_hash: str, job_id: str | None = None) -> str | None:
        """None: the caller owns the key and creates the job, then binds the key
        (``complete``, or in the job's own transaction). A job id: that request
        already made this job; ``job_id`` (the id the caller's job will have) is
        returned, bound, when that job is recorded already. Raises
        ``IdempotencyConflict`` for another request's key or one still in flight."""

    def complete(self, key: str, job_id: str) -> None: ...

    def release(self, key: str) -> None:
        """Give a claimed key back (the submit failed; a retry may try again)."""


@dataclass(frozen=True)
class StoredEvent:
    id: int  # database-generated, increasing: the SSE event id
    topic: str
    type: str
    data: dict[str, Any]
    created_at: float


class EventLog(Protocol):
    def append(self, topic: str, type: str, data: dict[str, Any]) -> int:
        """Store an event; returns its id."""

    def since(
        self, after_id: int, *, topic: str | None = None, limit: int = 1000
    ) -> list[StoredEvent]:
        """Events after ``after_id`` (Last-Event-ID), oldest first."""

    def last_id(self) -> int: ...
