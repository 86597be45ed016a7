"""Versions on ShotGrid: create all-or-nothing, update, delete, list.

Each operation reads with a few finds (the versions, then the entities they
link to, by id) and writes through batches. A Version's ``entity`` link holds
its Shot (else Asset, Sequence or Episode); codes it cannot hold are kept in
``sg_onepiece_data`` so reads give back what was written.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from onepiece.adapters.trackers.shotgrid import fields as sgs
from onepiece.adapters.trackers.shotgrid import media_fields as fields
from onepiece.adapters.trackers.shotgrid.hierarchy import (
    StatusFor,
    ensure_hierarchy,
    sequence_episodes,
)
from onepiece.adapters.trackers.shotgrid.session import ShotGridSession
from onepiece.domain.entities import ShotSpec, Version
from onepiece.domain.status import BUCKETS, bucket_for, codes_for_bucket
from onepiece.errors import EntityNotFound, TrackerError, ValidationError, VersionConflict

# Project code -> ShotGrid id (the tracker's cached lookup).
ProjectId = Callable[[str], int]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_LINK_FIELDS = {
    sgs.SHOT: ["code", "sg_sequence", "sg_sequence.Sequence.code", "sg_episode.Episode.code"],
    sgs.ASSET: ["code"],
    sgs.SEQUENCE: ["code", "episode.Episode.code"],
    sgs.EPISODE: ["code"],
}


def _codes_by_id(
    session: ShotGridSession, project_id: int, entity_type: str, ids: set[int]
) -> dict[int, dict[str, Any]]:
    """(id -> natural codes) of linked entities, one find per entity type."""
    if not ids:
        return {}
    rows = session.find(entity_type, [["id", "in", sorted(ids)]], _LINK_FIELDS[entity_type])
    if entity_type == sgs.SHOT:
        episodes: dict[int, str | None] = {}
        if any(not r.get("sg_episode.Episode.code") and r.get("sg_sequence") for r in rows):
            episodes = sequence_episodes(session, project_id)
        out = {}
        for row in rows:
            shot = sgs.shot_from("", row, episodes)
            out[int(row["id"])] = sgs.drop_none(
                {"shot": shot.code, "sequence": shot.sequence, "episode": shot.episode}
            )
        return out
    if entity_type == sgs.SEQUENCE:
        return {
            int(r["id"]): sgs.drop_none(
                {"sequence": r["code"], "episode": r.get("episode.Episode.code")}
            )
            for r in rows
        }
    key = "asset" if entity_type == sgs.ASSET else "episode"
    return {int(r["id"]): {key: r["code"]} for r in rows}


def to_versions(
    session: ShotGridSession, project: str, project_id: int, rows: list[dict[str, Any]]
) -> list[Version]:
    wanted: dict[str, set[int]] = {}
    for row in rows:
        entity = row.get("entity")
        if isinstance(entity, Mapping) and entity.get("type") in _LINK_FIELDS:
            wanted.setdefault(entity["type"], set()).add(int(entity["id"]))
    codes: dict[tuple[str, int], dict[str, Any]] = {}
    for entity_type, ids in wanted.items():
        for entity_id, found in _codes_by_id(session, project_id, entity_type, ids).items():
            codes[(entity_type, entity_id)] = found
    return [fields.version_from(project, row, codes) for row in rows]


def _rows_by_code(
    session: ShotGridSession, project_id: int, codes: Sequence[str]
) -> dict[str, dict[str, Any]]:
    if not codes:
        return {}
    rows = session.find(
        sgs.VERSION,
        [["project", "is", sgs.link(sgs.PROJECT, project_id)], ["code", "in", list(codes)]],
        sgs.VERSION_FIELDS,
    )
    return {str(row["code"]): row for row in rows}


def by_codes(
    session: ShotGridSession, project: str, project_id: int, codes: Sequence[str]
) -> list[Version]:
    rows = _rows_by_code(session, project_id, codes)
    ordered = [rows[code] for code in codes if code in rows]
    return to_versions(session, project, project_id, ordered)


def _entity_links(
    session: ShotGridSession,
    project: str,
    project_id: int,
    versions: Sequence[Version],
    status_for: StatusFor,
    create_missing_hierarchy: bool,
) -> dict[str, dict[str, Any] | None]:
    """Version code -> its entity link, creating missing shots when configured to."""
    pfilter = ["project", "is", sgs.link(sgs.PROJECT, project_id)]

    def lookup(entity_type: str, codes: set[str]) -> dict[str, int]:
        if not codes:
            return {}
        rows = session.find(entity_type, [pfilter, ["code", "in", sorted(codes)]], ["code"])
        return {str(r["code"]): int(r["id"]) for r in rows}

    shots = lookup(sgs.SHOT, {v.shot for v in versions if v.shot})
    missing = [v for v in versions if v.shot and v.shot not in shots]
    if missing:
        if not create_missing_hierarchy:
            raise EntityNotFound(
                f"shot(s) not found in project {project}: "
                + ", ".join(sorted({str(v.shot) for v in missing})),
                hint="run `onepiece shotgrid show-setup` first or set "
                "tracker.create_missing_hierarchy = true",
            )
        specs = [
            ShotSpec(episode=v.episode, sequence=v.sequence, shot=str(v.shot)) for v in missing
        ]
        ensure_hierarchy(session, project_id, specs, status_for)
        shots = lookup(sgs.SHOT, {v.shot for v in versions if v.shot})
    assets = lookup(sgs.ASSET, {v.asset for v in versions if v.asset and not v.shot})
    sequences = lookup(sgs.SEQUENCE, {v.sequence for v in versions if v.sequence and not v.shot})
    episodes = lookup(
        sgs.EPISODE, {v.episode for v in versions if v.episode and not v.sequence and not v.shot}
    )
    links: dict[str, dict[str, Any] | None] = {}
    for v in versions:
        for entity_type, table, code in (
            (sgs.SHOT, shots, v.shot),
            (sgs.ASSET, assets, v.asset),
            (sgs.SEQUENCE, sequences, v.sequence),
            (sgs.EPISODE, episodes, v.episode),
        ):
            if code and code in table:
                links[v.code] = sgs.link(entity_type, table[code])
                break
        else:
            links[v.code] = None
    return links


def create_versions(
    session: ShotGridSession,
    versions: Sequence[Version],
    project_id_of: ProjectId,
    status_for: StatusFor,
    create_missing_hierarchy: bool,
) -> list[Version]:
    duplicates = sorted(code for code, n in Counter(v.code for v in versions).items() if n > 1)
    if duplicates:
        raise VersionConflict("version codes repeated in one request: " + ", ".join(duplicates))
    by_project: dict[str, list[Version]] = {}
    for version in versions:
        by_project.setdefault(version.project, []).append(version)
    # Check every project before writing anything: all or nothing.
    plans = []
    for project, items in by_project.items():
        project_id = project_id_of(project)
        existing = _rows_by_code(session, project_id, [v.code for v in items])
        if existing:
            raise VersionConflict(
                f"version(s) already exist in {project}: " + ", ".join(sorted(existing)),
                hint="publish a new version number instead",
                context={"project": project, "codes": sorted(existing)},
            )
        plans.append((project, project_id, items))
    created: list[tuple[str, dict[str, int]]] = []
    try:
        for project, project_id, items in plans:
            links = _entity_links(
                session, project, project_id, items, status_for, create_missing_hierarchy
            )
            rows = []
            for v in items:
                row = fields.version_data(v, project_id, links[v.code])
                if "sg_status_list" in row:
                    row["sg_status_list"] = status_for(sgs.VERSION, row["sg_status_list"])
                rows.append(row)
            pfilter = ["project", "is", sgs.link(sgs.PROJECT, project_id)]
            created.append((project, session.create_all(sgs.VERSION, [pfilter], rows)))
    except TrackerError:
        for _project, ids in created:
            session.undo(sgs.VERSION, ids)
        raise
    return [
        v
        for project, items in by_project.items()
        for v in by_codes(session, project, project_id_of(project), [i.code for i in items])
    ]


def update_versions(
    session: ShotGridSession,
    project: str,
    project_id: int,
    updates: Mapping[str, Mapping[str, Any]],
    status_for: StatusFor,
) -> list[Version]:
    rows = _rows_by_code(session, project_id, list(updates))
    missing = sorted(set(updates) - set(rows))
    if missing:
        raise EntityNotFound(f"version(s) not found in {project}: " + ", ".join(missing))
    requests = []
    for code, changes in updates.items():
        try:
            data = fields.version_update(rows[code], changes)
        except KeyError as exc:
            raise ValidationError(
                f"cannot update version field {exc.args[0]!r}",
                hint="updatable: "
                + ", ".join(
                    sorted({*fields.VERSION_UPDATE_FIELDS, "path", *fields.VERSION_DATA_FIELDS})
                ),
            ) from exc
        if "sg_status_list" in data:
            data["sg_status_list"] = status_for(sgs.VERSION, data["sg_status_list"])
        if data:
            requests.append(
                {
                    "request_type": "update",
                    "entity_type": sgs.VERSION,
                    "entity_id": int(rows[code]["id"]),
                    "data": data,
                }
            )
    session.batch(f"update {len(requests)} Version", requests)
    return by_codes(session, project, project_id, list(updates))


def delete_versions(session: ShotGridSession, project_id: int, codes: Sequence[str]) -> int:
    rows = _rows_by_code(session, project_id, list(codes))
    requests = [
        {"request_type": "delete", "entity_type": sgs.VERSION, "entity_id": int(row["id"])}
        for row in rows.values()
    ]
    results = session.batch(f"delete {len(requests)} Version", requests)
    return sum(1 for result in results if result is True)


def status_codes(status: str, site: Sequence[str], status_map: Mapping[str, str]) -> list[str]:
    """Every Version status code ``status`` stands for: a bucket's codes, or one
    code in any letter case (ShotGrid compares status codes exactly). ``site``
    holds the site's Version status codes."""
    if status in BUCKETS:
        codes = codes_for_bucket(status, status_map)
        codes |= {c for c in site if bucket_for(c, status_map) == status}
    else:
        codes = {status, status.lower()} | {c for c in site if c.lower() == status.lower()}
    return sorted(codes)


def list_versions(
    session: ShotGridSession,
    project: str,
    project_id: int,
    *,
    statuses: Sequence[str] | None = None,
    episodes: Sequence[str] | None = None,
    limit: int | None = None,
) -> list[Version]:
    """``statuses``: the status codes to keep (see ``status_codes``), or all."""
    filters: list[Any] = [["project", "is", sgs.link(sgs.PROJECT, project_id)]]
    if statuses is not None:
        filters.append(["sg_status_list", "in", list(statuses)])
    # Newest first. One sort key only: mockgun applies several keys in reverse
    # priority; ties are broken here by id, the creation order.
    order = [{"field_name": "created_at", "direction": "desc"}]
    # The episode filter runs here, after links are resolved, so the limit must wait for it.
    rows = session.find(
        sgs.VERSION, filters, sgs.VERSION_FIELDS, order=order, limit=0 if episodes else (limit or 0)
    )
    rows.sort(key=lambda r: (sgs.utc(r.get("created_at")) or _EPOCH, int(r["id"])), reverse=True)
    versions = to_versions(session, project, project_id, rows)
    if episodes:
        wanted = set(episodes)
        versions = [v for v in versions if v.episode in wanted]
    return versions[:limit] if limit else versions
