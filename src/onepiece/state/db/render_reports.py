"""Reports over the render job history: counts for ``/metrics`` and trends, ``/health`` figures.

Read-only queries, the same on SQLite and PostgreSQL (render_history.py writes).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from onepiece.state.db import schema
from onepiece.state.db.engine import reading


@dataclass(frozen=True)
class HistoryStats:
    """``/health`` ``render.history``."""

    path: str
    size: int
    history_limit: int
    retention_hours: float
    pruned_by_retention: int
    pruned_by_limit: int
    last_compaction_at: datetime | None

    def to_dict(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        at = self.last_compaction_at
        data["last_compaction_at"] = at.isoformat() if at else None
        return data


def job_counts(engine: Engine) -> dict[str, Any]:
    """``/metrics`` ``render``: jobs, by_status, by_farm."""
    jobs = schema.render_jobs
    with reading(engine) as connection:
        by_status: dict[str, int] = {
            row[0]: row[1]
            for row in connection.execute(
                select(jobs.c.status, func.count()).group_by(jobs.c.status)
            )
        }
        by_farm: dict[str, int] = {
            row[0]: row[1]
            for row in connection.execute(select(jobs.c.farm, func.count()).group_by(jobs.c.farm))
        }
    return {"jobs": sum(by_status.values()), "by_status": by_status, "by_farm": by_farm}


def daily_job_counts(engine: Engine, since: float) -> list[tuple[str, str, int]]:
    """(UTC day, status, jobs) submitted since ``since`` (epoch seconds), one SQL pass."""
    jobs = schema.render_jobs
    if engine.dialect.name == "postgresql":
        day = func.to_char(
            func.timezone("UTC", func.to_timestamp(jobs.c.submitted_at)), "YYYY-MM-DD"
        )
    else:
        day = func.date(jobs.c.submitted_at, "unixepoch")
    query = (
        select(day, jobs.c.status, func.count())
        .where(jobs.c.submitted_at >= since)
        .group_by(day, jobs.c.status)
    )
    with reading(engine) as connection:
        return [(str(r[0]), str(r[1]), int(r[2])) for r in connection.execute(query)]
