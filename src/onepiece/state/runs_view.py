"""Read side of the ingest run registry, memoised by the file's identity.

CLI ingest processes rewrite the registry (``{"runs": [...]}``) atomically
while they run; the web service reads it for ``/runs`` and its live stream.
A read is keyed by ``(st_mtime_ns, st_size, st_ino)``: while the key is
unchanged every lookup (including a 404) reuses the parsed snapshot; a new key
triggers one re-read. A file caught mid-write by a non-atomic writer (malformed
JSON) keeps the last good snapshot, so readers never see an error for it.
"""

from __future__ import annotations

import builtins
import json
import logging
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

FileKey = tuple[int, int, int]


@dataclass(frozen=True)
class RunsSnapshot:
    runs: tuple[dict[str, Any], ...] = ()
    by_id: dict[str, dict[str, Any]] = field(default_factory=dict)
    key: FileKey | None = None
    stale: bool = False  # True when the file on disk is malformed and this is the last good one

    @classmethod
    def parse(cls, raw: bytes, key: FileKey) -> RunsSnapshot:
        data = json.loads(raw)
        runs = data.get("runs") if isinstance(data, dict) else None
        if not isinstance(runs, list):
            raise ValueError('expected {"runs": [...]}')
        valid = tuple(r for r in runs if isinstance(r, dict) and isinstance(r.get("id"), str))
        return cls(valid, {r["id"]: r for r in valid}, key)


def run_key(run: dict[str, Any]) -> tuple[str, str]:
    """A run's place in the newest-first order (start time, then id): the paging key."""
    return str(run.get("started_at") or ""), str(run.get("id") or "")


def newest_first(runs: tuple[dict[str, Any], ...]) -> list[dict[str, Any]]:
    return sorted(runs, key=run_key, reverse=True)


class RunRegistryView:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._snapshot = RunsSnapshot()
        self.reads = 0  # file reads actually performed (memoisation is observable)

    def _key(self) -> FileKey | None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        return (st.st_mtime_ns, st.st_size, st.st_ino)

    def snapshot(self) -> RunsSnapshot:
        """The current runs; re-reads the file only when its identity changed."""
        key = self._key()
        with self._lock:
            current = self._snapshot
            if key == current.key:
                return current
            if key is None:
                self._snapshot = RunsSnapshot()
                return self._snapshot
            try:
                raw = self.path.read_bytes()
                self.reads += 1
                fresh = RunsSnapshot.parse(raw, key)
            except FileNotFoundError:
                self._snapshot = RunsSnapshot()
            except (ValueError, UnicodeDecodeError) as exc:
                # Caught mid-write: keep serving the last good runs under the new key,
                # so the bad file is not re-parsed until it changes again.
                log.warning("ingest run registry %s unreadable (%s); using last snapshot",
                            self.path, exc)  # fmt: skip
                self._snapshot = RunsSnapshot(current.runs, current.by_id, key, stale=True)
            else:
                self._snapshot = fresh
            return self._snapshot

    def list(self, *, status: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        return self.page(status=status, limit=limit)[0]

    def page(
        self, *, status: str | None = None, limit: int = 100, after: tuple[str, str] | None = None
    ) -> tuple[builtins.list[dict[str, Any]], tuple[str, str] | None]:
        """Newest first, after the run keyed ``after``; with the key of the last run
        returned when more follow (None on the last page)."""
        runs = newest_first(self.snapshot().runs)
        if status:
            runs = [r for r in runs if str(r.get("status", "")).lower() == status.lower()]
        if after is not None:
            runs = [r for r in runs if run_key(r) < after]
        return runs[:limit], (run_key(runs[limit - 1]) if len(runs) > limit else None)

    def get(self, run_id: str) -> dict[str, Any] | None:
        return self.snapshot().by_id.get(run_id)
