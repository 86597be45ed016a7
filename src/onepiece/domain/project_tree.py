"""A project's entity tree as plain data, for ``templates save`` and ``apply``.

Pure. ``build_tree`` turns tracker entities into a JSON/YAML-ready mapping;
``specs_from_tree`` turns such a mapping (possibly hand-edited) back into
hierarchy specs, listing what cannot be replayed through the Tracker port
(an episode or sequence with no shots, an asset linked to no shot: the port
creates entities from shot rows) and every malformed entry.

Format (``format: onepiece.project-tree``, ``version: 1``)::

    project: {code, name}
    episodes: [{code}]
    sequences: [{code, episode}]
    shots: [{code, sequence, episode, cut_in, cut_out, description, status,
             task_template, assets: [code, ...]}]
    assets: [{code, asset_type, description, shots: [code, ...]}]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from onepiece.domain.entities import Asset, Episode, Project, Shot, ShotSpec
from onepiece.domain.entities import Sequence as SequenceEntity
from onepiece.domain.show_setup import CODE

TREE_FORMAT = "onepiece.project-tree"
TREE_VERSION = 1


def build_tree(
    project: Project,
    episodes: Sequence[Episode],
    sequences: Sequence[SequenceEntity],
    shots: Sequence[Shot],
    assets: Sequence[Asset],
    *,
    asset_shots: Mapping[str, list[str]] | None = None,
    task_templates: Mapping[str, str] | None = None,
    source: str = "",
) -> dict[str, Any]:
    """The tree of one project; links and task templates where the tracker has them."""
    links = asset_shots or {}
    by_shot: dict[str, list[str]] = {}
    for asset, shot_codes in links.items():
        for shot in shot_codes:
            by_shot.setdefault(shot, []).append(asset)
    templates = task_templates or {}

    def clean(data: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in data.items() if v not in (None, [], "")}

    return {
        "format": TREE_FORMAT,
        "version": TREE_VERSION,
        "source_tracker": source,
        "project": clean({"code": project.code, "name": project.name}),
        "episodes": [{"code": e.code} for e in episodes],
        "sequences": [clean({"code": s.code, "episode": s.episode}) for s in sequences],
        "shots": [
            clean(
                {
                    "code": s.code,
                    "sequence": s.sequence,
                    "episode": s.episode,
                    "cut_in": s.cut_in,
                    "cut_out": s.cut_out,
                    "description": s.description,
                    "status": s.status,
                    "task_template": templates.get(s.code),
                    "assets": sorted(by_shot.get(s.code, [])),
                }
            )
            for s in shots
        ],
        "assets": [
            clean(
                {
                    "code": a.code,
                    "asset_type": a.asset_type,
                    "description": a.description,
                    "shots": list(links.get(a.code, [])),
                }
            )
            for a in assets
        ],
    }


@dataclass
class TreeReplay:
    specs: list[ShotSpec] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # replayable only with a shot
    errors: list[str] = field(default_factory=list)


def _code(entry: Any, where: str, errors: list[str]) -> str | None:
    code = entry.get("code") if isinstance(entry, Mapping) else None
    if not isinstance(code, str) or not CODE.match(code):
        errors.append(f"{where}: missing or invalid code {code!r}")
        return None
    return code


def _optional_int(entry: Mapping[str, Any], key: str, where: str, errors: list[str]) -> int | None:
    value = entry.get(key)
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    errors.append(f"{where}: {key} must be a whole number, not {value!r}")
    return None


def specs_from_tree(tree: Mapping[str, Any]) -> TreeReplay:
    replay = TreeReplay()
    if tree.get("format") != TREE_FORMAT or tree.get("version") != TREE_VERSION:
        replay.errors.append(
            f"not a project tree: expected format {TREE_FORMAT!r} version {TREE_VERSION} "
            "(write one with `onepiece shotgrid templates save`)"
        )
        return replay
    errors = replay.errors
    shots = tree.get("shots") or []
    linked_assets: set[str] = set()
    used_sequences: set[str] = set()
    used_episodes: set[str] = set()
    for index, entry in enumerate(shots):
        where = f"shots[{index}]"
        code = _code(entry, where, errors)
        if code is None:
            continue
        base = ShotSpec(
            episode=entry.get("episode"),
            sequence=entry.get("sequence"),
            shot=code,
            cut_in=_optional_int(entry, "cut_in", where, errors),
            cut_out=_optional_int(entry, "cut_out", where, errors),
            description=entry.get("description"),
            status=entry.get("status"),
            task_template=entry.get("task_template"),
        )
        used_sequences.add(base.sequence or "")
        used_episodes.add(base.episode or "")
        replay.specs.append(base)
        for asset in entry.get("assets") or []:
            linked_assets.add(asset)
            replay.specs.append(replace(base, asset=asset))
    for index, entry in enumerate(tree.get("assets") or []):
        code = _code(entry, f"assets[{index}]", errors)
        if code and code not in linked_assets:
            replay.skipped.append(f"Asset {code} (linked to no shot)")
    for index, entry in enumerate(tree.get("sequences") or []):
        code = _code(entry, f"sequences[{index}]", errors)
        if code and code not in used_sequences:
            replay.skipped.append(f"Sequence {code} (has no shots)")
    for index, entry in enumerate(tree.get("episodes") or []):
        code = _code(entry, f"episodes[{index}]", errors)
        if code and code not in used_episodes:
            replay.skipped.append(f"Episode {code} (has no shots)")
    if errors:
        replay.specs = []
    return replay
