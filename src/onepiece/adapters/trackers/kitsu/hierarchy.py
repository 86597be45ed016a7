"""Episodes, sequences, shots and assets on Kitsu, created idempotently.

Reads are batched: one request per entity kind for the whole project
(``data/projects/<id>/<kind>``), whatever the number of shots. zou has no
bulk create, so each missing entity is one POST; existing ones cost nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from onepiece.adapters.trackers.base import HierarchyProgress
from onepiece.adapters.trackers.kitsu import fields
from onepiece.domain.entities import HierarchyResult, ShotSpec
from onepiece.errors import EntityNotFound, TrackerRejected, ValidationError

if TYPE_CHECKING:
    from onepiece.adapters.trackers.kitsu.session import KitsuSession

KINDS = {"Episode": "episodes", "Sequence": "sequences", "Shot": "shots", "Asset": "assets"}
DEFAULT_ASSET_TYPE = "Props"


def rows(session: KitsuSession, project_id: str, kind: str) -> list[dict[str, Any]]:
    """Every entity of ``kind`` in the project, in one request."""
    found = session.get(f"list {kind}s", f"data/projects/{project_id}/{KINDS[kind]}")
    return [dict(row) for row in found or []]


def entity_type_ids(session: KitsuSession) -> dict[str, str]:
    """Entity type name -> id (Episode, Sequence, Shot, Edit and the asset types)."""
    found = session.get("read the entity types", "data/entity-types")
    return {str(row["name"]): str(row["id"]) for row in found}


def sequence_parents(
    sequences: list[dict[str, Any]], episodes: list[dict[str, Any]]
) -> dict[str, tuple[str, str | None]]:
    """Sequence id -> (sequence code, episode code)."""
    episode_names = {str(e["id"]): str(e["name"]) for e in episodes}
    return {
        str(s["id"]): (str(s["name"]), episode_names.get(str(s.get("parent_id"))))
        for s in sequences
    }


class _Creator:
    """Creates what is missing and reports each entity's fate."""

    def __init__(
        self,
        session: KitsuSession,
        project_id: str,
        types: dict[str, str],
        result: HierarchyResult,
        progress: HierarchyProgress | None,
    ) -> None:
        self.session = session
        self.project_id = project_id
        self.types = types
        self.result = result
        self.progress = progress

    def note(self, kind: str, code: str, outcome: str) -> None:
        if outcome != "failed":
            self.result.add(kind, code, outcome == "created")
        if self.progress is not None:
            self.progress(kind, code, outcome)

    def create(self, kind: str, type_name: str, code: str, **extra: Any) -> str | None:
        body = {
            "name": code,
            "project_id": self.project_id,
            "entity_type_id": self.types[type_name],
            **{key: value for key, value in extra.items() if value is not None},
        }
        try:
            row = self.session.post(f"create {kind} {code}", "data/entities", body)
        except TrackerRejected as exc:
            if exc.context.get("kind") in {"auth", "access"}:
                raise
            self.result.failed[f"{kind}:{code}"] = exc.message
            self.note(kind, code, "failed")
            return None
        self.note(kind, code, "created")
        return str(row["id"])


def ensure_hierarchy(
    session: KitsuSession,
    project_id: str,
    specs: Sequence[ShotSpec],
    progress: HierarchyProgress | None = None,
) -> HierarchyResult:
    result = HierarchyResult()
    types = entity_type_ids(session)
    if DEFAULT_ASSET_TYPE not in types and any(spec.asset for spec in specs):
        created = session.post(
            "create the asset type", "data/entity-types", {"name": DEFAULT_ASSET_TYPE}
        )
        types[DEFAULT_ASSET_TYPE] = str(created["id"])
    creator = _Creator(session, project_id, types, result, progress)

    episodes = {str(r["name"]): str(r["id"]) for r in rows(session, project_id, "Episode")}
    sequences: dict[tuple[str | None, str], str] = {}
    episode_names = {v: k for k, v in episodes.items()}
    for row in rows(session, project_id, "Sequence"):
        parent = episode_names.get(str(row.get("parent_id")))
        sequences[(parent, str(row["name"]))] = str(row["id"])
    shots = {str(r["name"]): str(r["id"]) for r in rows(session, project_id, "Shot")}
    assets = {str(r["name"]): str(r["id"]) for r in rows(session, project_id, "Asset")}

    seen: set[tuple[str, str]] = set()
    for spec in specs:
        if spec.episode and ("Episode", spec.episode) not in seen:
            seen.add(("Episode", spec.episode))
            if spec.episode in episodes:
                creator.note("Episode", spec.episode, "existing")
            elif (made := creator.create("Episode", "Episode", spec.episode)) is not None:
                episodes[spec.episode] = made
        sequence_key = (spec.episode, spec.sequence) if spec.sequence else None
        if sequence_key and ("Sequence", repr(sequence_key)) not in seen:
            seen.add(("Sequence", repr(sequence_key)))
            code = sequence_key[1]
            assert code is not None
            if sequence_key in sequences:
                creator.note("Sequence", code, "existing")
            elif (
                made := creator.create(
                    "Sequence", "Sequence", code, parent_id=episodes.get(spec.episode or "")
                )
            ) is not None:
                sequences[sequence_key] = made
        if not spec.shot:
            pass  # an asset-only spec (a version linked to an asset)
        elif spec.shot not in shots and ("Shot", spec.shot) not in seen:
            seen.add(("Shot", spec.shot))
            made = creator.create(
                "Shot",
                "Shot",
                spec.shot,
                parent_id=sequences.get(sequence_key) if sequence_key else None,
                description=spec.description,
                data=fields.shot_data(spec.cut_in, spec.cut_out, spec.status),
                nb_frames=(spec.cut_out - spec.cut_in + 1)
                if spec.cut_in is not None and spec.cut_out is not None
                else None,
            )
            if made is not None:
                shots[spec.shot] = made
        elif ("Shot", spec.shot) not in seen:
            seen.add(("Shot", spec.shot))
            creator.note("Shot", spec.shot, "existing")
        if spec.asset and ("Asset", spec.asset) not in seen:
            seen.add(("Asset", spec.asset))
            if spec.asset in assets:
                creator.note("Asset", spec.asset, "existing")
            elif (made := creator.create("Asset", DEFAULT_ASSET_TYPE, spec.asset)) is not None:
                assets[spec.asset] = made
    wanted = {(s.asset, s.shot) for s in specs if s.asset and s.shot}
    if wanted:
        cast_assets(session, project_id, wanted, assets, shots)
    return result


def casting(session: KitsuSession, project_id: str) -> dict[str, set[str]]:
    """Shot id -> ids of the assets cast in it (Kitsu's breakdown), in one request."""
    found = session.get("read the casting", f"data/projects/{project_id}/sequences/all/casting")
    return {
        str(shot_id): {str(link["asset_id"]) for link in links or []}
        for shot_id, links in (found or {}).items()
    }


def cast_assets(
    session: KitsuSession,
    project_id: str,
    wanted: set[tuple[str, str]],
    assets: dict[str, str],
    shots: dict[str, str],
) -> None:
    """Link assets to their shots in Kitsu's breakdown: one request per asset with new links."""
    existing = casting(session, project_id)
    missing: dict[str, list[str]] = {}
    for asset, shot in sorted(wanted):
        asset_id, shot_id = assets.get(asset), shots.get(shot)
        if asset_id and shot_id and asset_id not in existing.get(shot_id, set()):
            missing.setdefault(asset_id, []).append(shot_id)
    for asset_id, shot_ids in missing.items():
        session.put(
            "cast an asset in its shots",
            f"data/projects/{project_id}/entities/casting/assets/{asset_id}",
            {"entity_ids": shot_ids},
        )


def asset_shots(session: KitsuSession, project_id: str) -> dict[str, list[str]]:
    """Asset code -> codes of the shots it is cast in (3 requests)."""
    shots = {str(r["id"]): str(r["name"]) for r in rows(session, project_id, "Shot")}
    linked: dict[str, list[str]] = {}
    for shot_id, asset_ids in casting(session, project_id).items():
        for asset_id in asset_ids:
            if shot_id in shots:
                linked.setdefault(asset_id, []).append(shots[shot_id])
    return {
        str(a["name"]): sorted(linked.get(str(a["id"]), []))
        for a in rows(session, project_id, "Asset")
    }


# What show-setup --update may change on an existing shot (Tracker.update_shots).
SHOT_UPDATABLE = frozenset({"cut_in", "cut_out", "status", "description"})


def update_shots(
    session: KitsuSession, project_id: str, changes: Mapping[str, Mapping[str, Any]]
) -> None:
    """Set fields of existing shots: frames and status in the shot's ``data``, one PUT each."""
    if not changes:
        return
    by_name = {str(r["name"]): r for r in rows(session, project_id, "Shot")}
    for code, values in changes.items():
        unknown = set(values) - SHOT_UPDATABLE
        if unknown:
            raise ValidationError(f"shot fields cannot be updated: {sorted(unknown)}")
        row = by_name.get(code)
        if row is None:
            raise EntityNotFound(f"shot {code!r} not found", hint="run show-setup without --update")
        if not values:
            continue
        data = dict(row.get("data") or {})
        data.update(
            fields.shot_data(values.get("cut_in"), values.get("cut_out"), values.get("status"))
        )
        body: dict[str, Any] = {"data": data}
        if "description" in values:
            body["description"] = values["description"]
        cut_in, cut_out = data.get("frame_in"), data.get("frame_out")
        if isinstance(cut_in, int) and isinstance(cut_out, int):
            body["nb_frames"] = cut_out - cut_in + 1
        session.put(f"update shot {code}", f"data/entities/{row['id']}", body)
