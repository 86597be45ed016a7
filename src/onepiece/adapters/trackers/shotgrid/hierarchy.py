"""Episodes, sequences, shots and assets on ShotGrid: bulk ensure and listing.

``ensure_hierarchy`` reads what exists with one find per entity type
(filtered to the codes asked for), then creates only what is missing, level
by level (episodes, sequences, shots, assets) so each level can link to the
one above, each level in ceil(n / batch_size) batch requests. A second run
finds everything and creates nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from onepiece.adapters.trackers.base import HierarchyProgress
from onepiece.adapters.trackers.shotgrid import fields as sgs
from onepiece.adapters.trackers.shotgrid.session import ShotGridSession, chunks
from onepiece.domain.entities import HierarchyResult, ShotSpec
from onepiece.errors import EntityNotFound, TrackerRejected

# (entity type, value) -> ShotGrid status code to write.
StatusFor = Callable[[str, str | None], str | None]


@dataclass
class _Wanted:
    """The distinct entities a list of specs asks for, first mention wins."""

    episodes: list[str] = field(default_factory=list)
    sequences: dict[str, str | None] = field(default_factory=dict)  # code -> episode
    shots: dict[str, ShotSpec] = field(default_factory=dict)
    assets: dict[str, list[str]] = field(default_factory=dict)  # code -> shot codes

    @classmethod
    def of(cls, specs: Sequence[ShotSpec]) -> _Wanted:
        wanted = cls()
        for spec in specs:
            if spec.episode and spec.episode not in wanted.episodes:
                wanted.episodes.append(spec.episode)
            if spec.sequence:
                wanted.sequences.setdefault(spec.sequence, spec.episode)
            if spec.shot:
                wanted.shots.setdefault(spec.shot, spec)
            if spec.asset:
                shots = wanted.assets.setdefault(spec.asset, [])
                if spec.shot and spec.shot not in shots:
                    shots.append(spec.shot)
        return wanted


def _existing(
    session: ShotGridSession,
    entity_type: str,
    pfilter: list[Any],
    codes: list[str],
    fields: list[str],
) -> dict[str, dict[str, Any]]:
    if not codes:
        return {}
    rows = session.find(entity_type, [pfilter, ["code", "in", codes]], fields)
    return {str(row["code"]): row for row in rows}


class _Run:
    """State of one ensure_hierarchy call."""

    def __init__(
        self,
        session: ShotGridSession,
        project_id: int,
        progress: HierarchyProgress | None,
    ) -> None:
        self.session = session
        self.project = sgs.link(sgs.PROJECT, project_id)
        self.pfilter: list[Any] = ["project", "is", self.project]
        self.progress = progress
        self.result = HierarchyResult()
        self.ids: dict[str, dict[str, int]] = {}

    def note(self, kind: str, code: str, outcome: str, reason: str = "") -> None:
        if outcome == "failed":
            self.result.failed[f"{kind}:{code}"] = reason
        else:
            self.result.add(kind, code, created=outcome == "created")
        if self.progress is not None:
            self.progress(kind, code, outcome)

    def seen(self, kind: str, rows: dict[str, dict[str, Any]]) -> None:
        self.ids[kind] = {code: int(row["id"]) for code, row in rows.items()}
        for code in rows:
            self.note(kind, code, "existing")

    def create(self, kind: str, rows: list[dict[str, Any]]) -> None:
        """Create ``rows`` chunk by chunk; a rejected chunk fails its codes, the rest go on."""
        known = self.ids.setdefault(kind, {})
        for chunk in chunks(rows, self.session.batch_size):
            try:
                created = self.session.create_chunk(kind, [self.pfilter], chunk)
            except TrackerRejected as exc:
                if exc.context.get("kind") in {"auth", "access"}:
                    raise  # nothing else will pass either
                partial: dict[str, int] = exc.context.get("created") or {}
                known.update(partial)
                for row in chunk:
                    outcome = "created" if row["code"] in partial else "failed"
                    self.note(kind, row["code"], outcome, exc.message)
                continue
            known.update(created)
            for row in chunk:
                self.note(kind, row["code"], "created")

    def parent(self, kind: str, code: str | None) -> tuple[dict[str, Any] | None, str | None]:
        """Link to a parent entity, or the reason it is missing."""
        if not code:
            return None, None
        entity_id = self.ids.get(kind, {}).get(code)
        if entity_id is None:
            return None, f"{kind} {code} was not created"
        return sgs.link(kind, entity_id), None


def _task_templates(session: ShotGridSession, names: set[str]) -> dict[str, int]:
    if not names:
        return {}
    rows = session.find(sgs.TASK_TEMPLATE, [["code", "in", sorted(names)]], ["code"])
    found = {str(row["code"]): int(row["id"]) for row in rows}
    missing = sorted(names - set(found))
    if missing:
        raise EntityNotFound(
            "task template(s) not found on the ShotGrid site: " + ", ".join(missing),
            hint="create them in ShotGrid (Task Templates page) or fix the setup template",
        )
    return found


def ensure_hierarchy(
    session: ShotGridSession,
    project_id: int,
    specs: Sequence[ShotSpec],
    status_for: StatusFor,
    progress: HierarchyProgress | None = None,
) -> HierarchyResult:
    wanted = _Wanted.of(specs)
    templates = _task_templates(
        session, {s.task_template for s in wanted.shots.values() if s.task_template}
    )
    run = _Run(session, project_id, progress)
    pf = run.pfilter
    run.seen(sgs.EPISODE, _existing(session, sgs.EPISODE, pf, wanted.episodes, ["code"]))
    run.seen(sgs.SEQUENCE, _existing(session, sgs.SEQUENCE, pf, list(wanted.sequences), ["code"]))
    run.seen(sgs.SHOT, _existing(session, sgs.SHOT, pf, list(wanted.shots), ["code"]))
    assets = _existing(session, sgs.ASSET, pf, list(wanted.assets), ["code", "shots"])
    run.seen(sgs.ASSET, assets)

    run.create(
        sgs.EPISODE,
        [
            {"project": run.project, "code": code}
            for code in wanted.episodes
            if code not in run.ids[sgs.EPISODE]
        ],
    )
    sequences = []
    for code, episode in wanted.sequences.items():
        if code in run.ids[sgs.SEQUENCE]:
            continue
        episode_link, why = run.parent(sgs.EPISODE, episode)
        if why:
            run.note(sgs.SEQUENCE, code, "failed", why)
            continue
        sequences.append(
            sgs.drop_none({"project": run.project, "code": code, "episode": episode_link})
        )
    run.create(sgs.SEQUENCE, sequences)

    shots = []
    for code, spec in wanted.shots.items():
        if code in run.ids[sgs.SHOT]:
            continue
        sequence_link, why = run.parent(sgs.SEQUENCE, spec.sequence)
        episode_link, why_episode = run.parent(sgs.EPISODE, spec.episode)
        if why or why_episode:
            run.note(sgs.SHOT, code, "failed", why or why_episode or "")
            continue
        template = templates.get(spec.task_template or "")
        shots.append(
            sgs.drop_none(
                {
                    "project": run.project,
                    "code": code,
                    "sg_sequence": sequence_link,
                    "sg_episode": episode_link,
                    "sg_cut_in": spec.cut_in,
                    "sg_cut_out": spec.cut_out,
                    "description": spec.description,
                    "sg_status_list": status_for(sgs.SHOT, spec.status),
                    "task_template": sgs.link(sgs.TASK_TEMPLATE, template) if template else None,
                }
            )
        )
    run.create(sgs.SHOT, shots)
    _ensure_assets(run, wanted, assets)
    return run.result


# Shot field -> ShotGrid field, for updates from a show setup.
SHOT_FIELDS = {
    "cut_in": "sg_cut_in",
    "cut_out": "sg_cut_out",
    "status": "sg_status_list",
    "description": "description",
}


def update_shots(
    session: ShotGridSession,
    project_id: int,
    changes: Mapping[str, Mapping[str, Any]],
    status_for: StatusFor,
) -> None:
    """Update existing shots by code, in batches of ``session.batch_size``."""
    pfilter = ["project", "is", sgs.link(sgs.PROJECT, project_id)]
    ids = _existing(session, sgs.SHOT, pfilter, list(changes), ["code"])
    requests = []
    for code, fields in changes.items():
        if code not in ids or not fields:
            continue
        data = {SHOT_FIELDS[name]: value for name, value in fields.items()}
        if "sg_status_list" in data:
            data["sg_status_list"] = status_for(sgs.SHOT, fields["status"])
        requests.append(
            {
                "request_type": "update",
                "entity_type": sgs.SHOT,
                "entity_id": int(ids[code]["id"]),
                "data": data,
            }
        )
    if requests:
        session.batch(f"update {len(requests)} Shot", requests)


def _ensure_assets(run: _Run, wanted: _Wanted, existing: dict[str, dict[str, Any]]) -> None:
    """Create missing assets linked to their shots; add missing links to existing ones."""
    shot_ids = run.ids.get(sgs.SHOT, {})
    new_rows = []
    link_updates = []
    for code, shot_codes in wanted.assets.items():
        links = [sgs.link(sgs.SHOT, shot_ids[s]) for s in shot_codes if s in shot_ids]
        if code not in existing:
            new_rows.append({"project": run.project, "code": code, "shots": links})
            continue
        linked = {sgs.link_id(item) for item in existing[code].get("shots") or []}
        missing = [item for item in links if item["id"] not in linked]
        if missing:
            link_updates.append(
                {
                    "request_type": "update",
                    "entity_type": sgs.ASSET,
                    "entity_id": int(existing[code]["id"]),
                    "data": {"shots": missing},
                    "multi_entity_update_modes": {"shots": "add"},
                }
            )
    run.create(sgs.ASSET, new_rows)
    if link_updates:
        run.session.batch(f"link {len(link_updates)} Asset", link_updates)


def sequence_episodes(session: ShotGridSession, project_id: int) -> dict[int, str | None]:
    """Sequence id -> episode code, for shots that have no sg_episode of their own."""
    rows = session.find(
        sgs.SEQUENCE, [["project", "is", sgs.link(sgs.PROJECT, project_id)]], sgs.SEQUENCE_FIELDS
    )
    return {int(row["id"]): row.get("episode.Episode.code") for row in rows}
