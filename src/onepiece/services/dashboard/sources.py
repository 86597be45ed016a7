"""Pluggable inputs to the dashboard that other services own.

``/metrics`` reports render jobs and reconciliation differences, but those
live in other services (the render job store, ``onepiece validate reconcile``).
They plug in here instead of the dashboard importing them:

- ``render``: returns a ``RenderSummary`` (jobs, by_status, by_farm). Until a
  render job store registers itself, the summary is empty: never an error.
- ``render_daily``: ``(UTC day, status, jobs)`` rows of the jobs submitted
  since an epoch time, for the dashboard's trend charts. Until one
  registers, none.
- ``reconcile``: returns the number of differences the last reconciliation
  between the tracker and storage found. Until one registers, 0.
- ``ingest_runs``: the ingest runs (as ``docs/ingest_runs.md`` records) when
  they live in the state database; None reads the registry file.

The container (``bootstrap.Container.dashboard_sources``) fills them from the
render job service and the reconcile results. They run in a worker thread,
may do blocking I/O, and may raise ``OnePieceError`` (the dashboard then says
so in its ``message``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from onepiece.domain.dashboard import RenderSummary

RenderSource = Callable[[], RenderSummary]
RenderDailySource = Callable[[float], list[tuple[str, str, int]]]
ReconcileSource = Callable[[], int]
IngestRunsSource = Callable[[], list[dict[str, Any]]]


def no_render_jobs() -> RenderSummary:
    return RenderSummary()


def no_daily_render_jobs(_since: float) -> list[tuple[str, str, int]]:
    return []


def no_reconcile_differences() -> int:
    return 0


@dataclass
class DashboardSources:
    render: RenderSource = no_render_jobs
    reconcile: ReconcileSource = no_reconcile_differences
    ingest_runs: IngestRunsSource | None = None
    render_daily: RenderDailySource = no_daily_render_jobs
