"""Totals of a ShotGrid site or project: entities, and shots and versions by status.

Counted by ``summarize`` (one request per total) where the site has it, else
by reading ids.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from onepiece.adapters.trackers.shotgrid import fields as sgs
from onepiece.adapters.trackers.shotgrid.session import ShotGridSession
from onepiece.domain.entities import TrackerCounts


def tracker_counts(session: ShotGridSession, project_id: int | None) -> TrackerCounts:
    """Totals for one project (by id), or the whole site when ``project_id`` is None."""
    filters: list[Any] = []
    if project_id is not None:
        filters = [["project", "is", sgs.link(sgs.PROJECT, project_id)]]
        projects = 1
    else:
        projects = _count(session, sgs.PROJECT, [])
    shot_status = _by_status(session, sgs.SHOT, filters)
    version_status = _by_status(session, sgs.VERSION, filters)
    return TrackerCounts(
        projects=projects,
        episodes=_count(session, sgs.EPISODE, filters),
        sequences=_count(session, sgs.SEQUENCE, filters),
        shots=sum(shot_status.values()),
        versions=sum(version_status.values()),
        version_status=version_status,
        shot_status=shot_status,
    )


def _count(session: ShotGridSession, entity_type: str, filters: list[Any]) -> int:
    if session.has_summarize:
        summary = session.summarize(entity_type, filters)
        return int((summary.get("summaries") or {}).get("id") or 0)
    return len(session.find(entity_type, filters, ["id"]))


def _by_status(session: ShotGridSession, entity_type: str, filters: list[Any]) -> dict[str, int]:
    """Raw status code -> count, by ``summarize`` grouping where the site has it."""
    if session.has_summarize:
        summary = session.summarize(
            entity_type,
            filters,
            grouping=[{"field": "sg_status_list", "type": "exact", "direction": "asc"}],
        )
        totals: Counter[str] = Counter()
        for group in summary.get("groups") or []:
            # No status is counted under "" (as the local tracker does).
            totals[str(group.get("group_value") or "")] += int(
                (group.get("summaries") or {}).get("id") or 0
            )
        return dict(totals)
    rows = session.find(entity_type, filters, ["sg_status_list"])
    return dict(Counter(str(row.get("sg_status_list") or "") for row in rows))
