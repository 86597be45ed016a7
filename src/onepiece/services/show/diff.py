"""What a show setup CSV changes on shots that already exist.

A second run used to say "existing" and leave changed cut ranges or statuses
as they were, silently. Each difference is now reported (field, old, new) and
applied only when asked (``--update``). An empty CSV cell means "not given",
never "clear the field".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from onepiece.adapters.trackers.base import Tracker
from onepiece.domain.show_setup import ShowSetupPlan
from onepiece.errors import EntityNotFound

COMPARED_FIELDS = ("cut_in", "cut_out", "status", "description")


@dataclass(frozen=True)
class FieldChange:
    kind: str
    code: str
    field: str
    old: Any
    new: Any

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "code": self.code,
            "field": self.field,
            "old": self.old,
            "new": self.new,
        }

    def line(self) -> str:
        return f"{self.kind} {self.code} {self.field}: {_show(self.old)} -> {_show(self.new)}"


def _show(value: Any) -> str:
    return "(none)" if value is None else str(value)


def shot_differences(tracker: Tracker, project: str, plan: ShowSetupPlan) -> list[FieldChange]:
    """Fields the CSV gives that differ on shots the tracker already has."""
    try:
        existing = {shot.code: shot for shot in tracker.list_shots(project)}
    except EntityNotFound:  # a new project: everything will be created
        return []
    changes: list[FieldChange] = []
    seen: set[str] = set()
    for spec in plan.specs:  # the first row of a shot wins, as in ensure_hierarchy
        shot = existing.get(spec.shot)
        if shot is None or spec.shot in seen:
            continue
        seen.add(spec.shot)
        for name in COMPARED_FIELDS:
            new, old = getattr(spec, name), getattr(shot, name)
            if new is not None and new != old:
                changes.append(FieldChange("Shot", spec.shot, name, old, new))
    return changes


def apply_differences(tracker: Tracker, project: str, changes: list[FieldChange]) -> None:
    by_shot: dict[str, dict[str, Any]] = {}
    for change in changes:
        by_shot.setdefault(change.code, {})[change.field] = change.new
    if by_shot:
        tracker.update_shots(project, by_shot)
