"""The last reconciliation result per project, for the dashboard's ``status.errors``.

``onepiece validate reconcile`` records what it found here (atomic JSON in
the data directory, serialised with an advisory lock). The web service reads
the latest totals instead of scanning storage on every /metrics refresh: a
bucket listing is too slow for a dashboard request, and it must not ask a
tracker that is down for more than the dashboard already does.
"""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from onepiece.atomicio import exclusive_lock, write_json


class ReconcileResults:
    def __init__(self, path: Path) -> None:
        self.path = path

    def _locked(self) -> contextlib.AbstractContextManager[None]:
        return exclusive_lock(self.path.with_name(self.path.name + ".lock"))

    def read(self) -> dict[str, dict[str, Any]]:
        """project -> {"scope", "total", "summary", "at"} (an unreadable file reads as empty)."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            return {}
        projects = data.get("projects") if isinstance(data, dict) else None
        return projects if isinstance(projects, dict) else {}

    def record(self, project: str, scope: str, summary: dict[str, int]) -> None:
        with self._locked():
            projects = self.read()
            projects[f"{project}:{scope}"] = {
                "project": project,
                "scope": scope,
                "total": int(summary.get("total", 0)),
                "summary": summary,
                "at": datetime.now(UTC).isoformat(timespec="seconds"),
            }
            write_json(self.path, {"projects": projects})

    def total(self) -> int:
        """Differences found by the latest version-scope run of each project."""
        return sum(
            int(entry.get("total", 0))
            for entry in self.read().values()
            if isinstance(entry, dict) and entry.get("scope") == "versions"
        )
