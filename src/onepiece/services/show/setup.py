"""Show setup use case: read and validate a CSV, then create the missing hierarchy.

Works on any Tracker. Validation covers the whole file before anything is
written (domain.show_setup); creation is one ``ensure_project`` and one bulk
``ensure_hierarchy`` call, so a remote tracker batches it, and a second run
creates nothing.

Setup templates are YAML or JSON files named ``NAME.yaml`` / ``NAME.json``
under ``<data_dir>/templates/`` (docs/examples/templates/ has examples); a
path to such a file works too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from onepiece.adapters.trackers.base import Tracker
from onepiece.domain.safe_paths import check_name
from onepiece.domain.show_setup import (
    SetupTemplate,
    ShowSetupPlan,
    parse_show_setup,
    template_from_dict,
)
from onepiece.errors import EntityNotFound, ValidationError
from onepiece.services.input_files import (
    MAX_INPUT_BYTES,
    MAX_TEMPLATE_BYTES,
    load_structured,
    read_text,
)
from onepiece.services.show.diff import FieldChange, apply_differences, shot_differences

TEMPLATE_SUFFIXES = (".yaml", ".yml", ".json")
KINDS = ("Episode", "Sequence", "Shot", "Asset")

# (kind, code, outcome) as ensure_hierarchy reports it.
Progress = Callable[[str, str, str], None]


@dataclass
class SetupSummary:
    project: str
    project_created: bool
    dry_run: bool
    created: dict[str, list[str]] = field(default_factory=dict)
    existing: dict[str, list[str]] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    # Fields of existing shots the CSV changes; applied only when ``updated``.
    differences: list[FieldChange] = field(default_factory=list)
    updated: bool = False

    def counts(self, bucket: Mapping[str, list[str]]) -> dict[str, int]:
        return {kind: len(bucket.get(kind, [])) for kind in KINDS}

    def to_dict(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "project_created": self.project_created,
            "dry_run": self.dry_run,
            "created": self.counts(self.created),
            "existing": self.counts(self.existing),
            "failed": [{"entity": key, "reason": why} for key, why in self.failed.items()],
            "created_codes": {k: v for k, v in self.created.items() if v},
            "differences": [change.to_dict() for change in self.differences],
            "updated": self.updated,
        }


def load_yaml_or_json(path: Path, what: str, *, max_bytes: int = MAX_INPUT_BYTES) -> Any:
    """Parse a template or tree file by its extension; ValidationError on bad content."""
    return load_structured(path, what, max_bytes=max_bytes)


def find_template(name: str, templates_dir: Path) -> Path:
    candidate = Path(name)
    if candidate.suffix.lower() in TEMPLATE_SUFFIXES and candidate.is_file():
        return candidate
    for suffix in TEMPLATE_SUFFIXES:
        path = templates_dir / f"{name}{suffix}"
        if path.is_file():
            return path
    available = sorted(
        p.stem for p in templates_dir.glob("*") if p.suffix.lower() in TEMPLATE_SUFFIXES
    )
    raise ValidationError(
        f"no setup template named {name!r} in {templates_dir}"
        + (f" (available: {', '.join(available)})" if available else ""),
        hint=f"copy one from docs/examples/templates/ into {templates_dir} or pass a file path",
    )


def load_template(name: str, templates_dir: Path) -> SetupTemplate:
    path = find_template(name, templates_dir)
    data = load_yaml_or_json(path, "setup template", max_bytes=MAX_TEMPLATE_BYTES)
    if not isinstance(data, dict):
        raise ValidationError(f"{path}: a setup template is a mapping (name, defaults, assets)")
    try:
        return template_from_dict(path.stem, data)
    except ValueError as exc:
        raise ValidationError(f"{path}: {exc}") from exc


def read_plan(
    csv_path: Path,
    *,
    status_map: Mapping[str, str] | None = None,
    template: SetupTemplate | None = None,
) -> ShowSetupPlan:
    """Read and validate the whole CSV (the source file is only read)."""
    text = read_text(csv_path, "show setup CSV", encoding="utf-8-sig")
    return parse_show_setup(text, status_map=status_map, template=template, source=str(csv_path))


def _dry_run(tracker: Tracker, project: str, plan: ShowSetupPlan) -> SetupSummary:
    try:
        tracker.get_project(project)
        exists = True
    except EntityNotFound:
        exists = False
    have: dict[str, set[str]] = dict.fromkeys(KINDS, set())
    if exists:
        have = {
            "Episode": {e.code for e in tracker.list_episodes(project)},
            "Sequence": {s.code for s in tracker.list_sequences(project)},
            "Shot": {s.code for s in tracker.list_shots(project)},
            "Asset": {a.code for a in tracker.list_assets(project)},
        }
    summary = SetupSummary(project=project, project_created=not exists, dry_run=True)
    wanted: dict[str, list[str | None]] = {
        "Episode": [s.episode for s in plan.specs],
        "Sequence": [s.sequence for s in plan.specs],
        "Shot": [s.shot for s in plan.specs],
        "Asset": [s.asset for s in plan.specs],
    }
    for kind, codes in wanted.items():
        for code in dict.fromkeys(c for c in codes if c):
            bucket = summary.existing if code in have[kind] else summary.created
            bucket.setdefault(kind, []).append(code)
    return summary


def run_show_setup(
    tracker: Tracker,
    project: str,
    plan: ShowSetupPlan,
    *,
    dry_run: bool = False,
    update: bool = False,
    progress: Progress | None = None,
) -> SetupSummary:
    """Create what the plan needs and is missing; ``dry_run`` only reports it.

    Existing shots whose CSV fields differ are reported; ``update`` applies them.
    """
    check_name(project, "project")
    if not plan.valid:
        raise ValidationError(
            f"{len(plan.errors)} problem(s) in the show setup; nothing was created",
            context={"errors": [{"line": e.line, "message": e.message} for e in plan.errors]},
        )
    differences = shot_differences(tracker, project, plan)
    if dry_run:
        summary = _dry_run(tracker, project, plan)
        summary.differences = differences
        return summary
    _, project_created = tracker.ensure_project(project)
    result = tracker.ensure_hierarchy(project, plan.specs, progress=progress)
    if update:
        apply_differences(tracker, project, differences)
    return SetupSummary(
        project=project,
        project_created=project_created,
        dry_run=False,
        created=result.created,
        existing=result.existing,
        failed=result.failed,
        differences=differences,
        updated=update and bool(differences),
    )
