"""Project tree templates: save a project's hierarchy to a file, replay it elsewhere.

``save_tree`` reads the project through the Tracker port (plus the optional
``HierarchyLinks`` capability for asset links and task templates, which the
ShotGrid tracker has) and writes JSON or YAML, chosen by the extension,
atomically. ``apply_tree`` replays a saved tree onto another project through
the same bulk ``ensure_hierarchy`` a show setup uses, so a remote tracker
receives batched requests.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from onepiece import atomicio
from onepiece.adapters.trackers.base import Tracker
from onepiece.domain.project_tree import build_tree, specs_from_tree
from onepiece.domain.safe_paths import check_name
from onepiece.domain.show_setup import ShowSetupPlan
from onepiece.errors import ValidationError
from onepiece.services.input_files import MAX_TREE_BYTES
from onepiece.services.show.setup import Progress, SetupSummary, load_yaml_or_json, run_show_setup

TREE_SUFFIXES = {".json": "json", ".yaml": "yaml", ".yml": "yaml"}


@runtime_checkable
class HierarchyLinks(Protocol):
    """Optional tracker capability: links the Tracker port does not return."""

    def asset_shots(self, project: str) -> dict[str, list[str]]: ...
    def shot_task_templates(self, project: str) -> dict[str, str]: ...


@dataclass
class SavedTree:
    path: Path
    counts: dict[str, int]
    links: bool  # asset links and task templates included

    def to_dict(self) -> dict[str, Any]:
        return {"path": str(self.path), "counts": self.counts, "links": self.links}


@dataclass
class AppliedTree:
    summary: SetupSummary
    skipped: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {**self.summary.to_dict(), "skipped": self.skipped}


def _format_for(path: Path) -> str:
    kind = TREE_SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise ValidationError(
            f"cannot tell the format of {path.name}", hint="use a .json, .yaml or .yml file name"
        )
    return kind


def save_tree(tracker: Tracker, project: str, path: Path) -> SavedTree:
    kind = _format_for(path)
    links = isinstance(tracker, HierarchyLinks)
    tree = build_tree(
        tracker.get_project(project),
        tracker.list_episodes(project),
        tracker.list_sequences(project),
        tracker.list_shots(project),
        tracker.list_assets(project),
        asset_shots=tracker.asset_shots(project) if isinstance(tracker, HierarchyLinks) else None,
        task_templates=(
            tracker.shot_task_templates(project) if isinstance(tracker, HierarchyLinks) else None
        ),
        source=tracker.name,
    )
    if kind == "json":
        text = json.dumps(tree, indent=2) + "\n"
    else:
        import yaml

        text = yaml.safe_dump(tree, sort_keys=False, allow_unicode=True)
    atomicio.write_text(path, text)
    counts = {key: len(tree[key]) for key in ("episodes", "sequences", "shots", "assets")}
    return SavedTree(path=path, counts=counts, links=links)


def apply_tree(
    tracker: Tracker,
    path: Path,
    project: str,
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> AppliedTree:
    check_name(project, "project")
    _format_for(path)
    data = load_yaml_or_json(path, "project tree", max_bytes=MAX_TREE_BYTES)
    if not isinstance(data, dict):
        raise ValidationError(f"{path}: a project tree is a mapping (see docs/cli_walkthroughs.md)")
    replay = specs_from_tree(data)
    if replay.errors:
        raise ValidationError(
            f"{path}: {len(replay.errors)} problem(s); nothing was created: "
            + "; ".join(replay.errors[:5]),
            context={"errors": replay.errors},
        )
    if not replay.specs:
        raise ValidationError(f"{path} has no shots to replay")
    plan = ShowSetupPlan(specs=replay.specs, rows=len(replay.specs))
    summary = run_show_setup(tracker, project, plan, dry_run=dry_run, progress=progress)
    return AppliedTree(summary=summary, skipped=replay.skipped)
