"""The delivery registry: one audit record per delivery, in a JSON file.

The file lives in the data directory (``settings.delivery_registry_path``).
Writes are atomic (temp file, fsync, rename) and serialised with an advisory
lock on a sidecar file, so two deliveries finishing at once both land and a
reader in another process (the web service) never sees half a file.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from onepiece.atomicio import exclusive_lock, write_json
from onepiece.errors import ConfigError, EntityNotFound


@dataclass(frozen=True)
class DeliveryRecord:
    id: str
    project: str
    context: str
    created_at: str  # ISO 8601, UTC
    entry_count: int
    total_bytes: int
    package: str  # top folder inside the ZIP
    zip_path: str | None = None  # local ZIP written
    zip_uri: str | None = None  # where the ZIP was uploaded
    manifest_uris: list[str] = field(default_factory=list)
    manifest_paths: list[str] = field(default_factory=list)  # --manifest PREFIX.json/.csv
    upstream_manifest: str | None = None
    versions: list[str] = field(default_factory=list)
    problem_count: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DeliveryRecord:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


def new_delivery_id(now: datetime | None = None) -> str:
    """Sortable and unique: UTC timestamp plus a random suffix."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{uuid.uuid4().hex[:8]}"


class DeliveryRegistry:
    def __init__(self, path: Path) -> None:
        self.path = path

    def _locked(self) -> contextlib.AbstractContextManager[None]:
        return exclusive_lock(self.path.with_name(self.path.name + ".lock"))

    def _read(self) -> list[dict[str, Any]]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(
                f"delivery registry {self.path} is not valid JSON",
                hint="restore it from backup or move it aside",
            ) from exc
        records = data.get("deliveries") if isinstance(data, dict) else None
        if not isinstance(records, list):
            raise ConfigError(f"delivery registry {self.path} has no 'deliveries' list")
        return [r for r in records if isinstance(r, dict)]

    def add(self, record: DeliveryRecord) -> DeliveryRecord:
        with self._locked():
            records = self._read()
            records.append(record.to_dict())
            write_json(self.path, {"deliveries": records})
        return record

    def list(self, project: str | None = None) -> list[DeliveryRecord]:
        """Newest first."""
        records = [DeliveryRecord.from_dict(r) for r in self._read()]
        if project is not None:
            records = [r for r in records if r.project == project]
        return sorted(records, key=lambda r: (r.created_at, r.id), reverse=True)

    def get(self, project: str, delivery_id: str) -> DeliveryRecord:
        for record in self.list(project):
            if record.id == delivery_id:
                return record
        raise EntityNotFound(
            f"no delivery {delivery_id!r} for project {project!r}",
            hint="list them with GET /deliveries/{project}",
        )
