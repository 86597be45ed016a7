"""The ShotGrid tracker: the Tracker port on Autodesk's ``shotgun_api3``.

Built by ``create(settings)`` from ``[shotgrid]`` (ONEPIECE_SHOTGRID_URL,
_SCRIPT, _KEY) or directly from any ``shotgun_api3.Shotgun``-compatible
connection (tests pass mockgun). Entity and field mapping lives in
``fields``/``media_fields``, the retry policy in ``retry``, batching in
``session``. The ``hierarchy``, ``versions`` and ``playlists`` helpers take
the session and plain values (project id, status lookup), never this class;
it resolves projects and statuses (cached) and delegates to them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from onepiece.adapters.trackers.base import HierarchyProgress
from onepiece.adapters.trackers.shotgrid import fields as sgs
from onepiece.adapters.trackers.shotgrid import hierarchy, playlists, review_media, versions
from onepiece.adapters.trackers.shotgrid.counts import tracker_counts
from onepiece.adapters.trackers.shotgrid.retry import RetryPolicy
from onepiece.adapters.trackers.shotgrid.session import ShotGridSession, connect
from onepiece.domain.entities import (
    Asset,
    Episode,
    HierarchyResult,
    Playlist,
    Project,
    PublishedFile,
    Shot,
    ShotSpec,
    TrackerCounts,
    Version,
)
from onepiece.domain.entities import Sequence as SequenceEntity
from onepiece.domain.review_media import ReviewAttachment
from onepiece.errors import EntityNotFound, TrackerRejected

if TYPE_CHECKING:
    from onepiece.config import Settings


class ShotGridTracker:
    name = "shotgrid"

    def __init__(
        self,
        conn: Any,
        *,
        policy: RetryPolicy | None = None,
        batch_size: int = 100,
        status_map: Mapping[str, str] | None = None,
        create_missing_hierarchy: bool = True,
    ) -> None:
        self.session = ShotGridSession(conn, policy or RetryPolicy(), batch_size)
        self.status_map = dict(status_map or {})
        self.create_missing_hierarchy = create_missing_hierarchy
        self._project_ids: dict[str, int] = {}
        self._status_codes: dict[str, list[str] | None] = {}

    # -- plumbing -----------------------------------------------------------

    def project_id(self, code: str) -> int:
        if code not in self._project_ids:
            self._project_ids[code] = int(self._project_row(code)["id"])
        return self._project_ids[code]

    def _project_row(self, code: str) -> dict[str, Any]:
        rows = self.session.find(
            sgs.PROJECT,
            [["tank_name", "is", code], ["name", "is", code]],
            sgs.PROJECT_FIELDS,
            filter_operator="any",
        )
        # tank_name is the code; a project only named like it comes second.
        rows.sort(key=lambda row: row.get("tank_name") != code)
        if not rows:
            raise EntityNotFound(
                f"project {code} not found on {self.session.site}",
                hint="check the project code (ShotGrid Project.tank_name) or create it",
            )
        return rows[0]

    def status_for(self, entity_type: str, value: str | None) -> str | None:
        """The code to write for ``value`` given the site's valid statuses."""
        if value is None:
            return None
        return sgs.outgoing_status(value, self.valid_statuses(entity_type), self.status_map)

    def valid_statuses(self, entity_type: str) -> list[str] | None:
        """The site's status codes for ``entity_type`` (one schema read, then cached)."""
        if entity_type not in self._status_codes:
            self._status_codes[entity_type] = self._read_statuses(entity_type)
        return self._status_codes[entity_type]

    def _read_statuses(self, entity_type: str) -> list[str] | None:
        try:
            schema = self.session.call(
                f"read the {entity_type} status list",
                self.session.conn.schema_field_read,
                entity_type,
                "sg_status_list",
            )
        except TrackerRejected as exc:
            if exc.context.get("kind") in {"auth", "access"}:
                raise
            return None  # unknown codes: values are written as given
        field = (schema or {}).get("sg_status_list") or {}
        values = field.get("properties", {}).get("valid_values", {}).get("value")
        return [str(v) for v in values] if values else None

    def ping(self) -> str:
        rows = self.session.find(sgs.PROJECT, [], ["id"], limit=1)
        seen = "projects visible" if rows else "no projects visible"
        return f"ShotGrid {self.session.site} answered as the configured script ({seen})"

    def close(self) -> None:
        closer = getattr(self.session.conn, "close", None)
        if callable(closer):
            closer()

    # -- projects -------------------------------------------------------------

    def list_projects(self, include_archived: bool = False) -> list[Project]:
        filters = [] if include_archived else [["archived", "is_not", True]]
        rows = self.session.find(sgs.PROJECT, filters, sgs.PROJECT_FIELDS)
        projects = [sgs.project_from(row) for row in rows]
        return sorted((p for p in projects if p.code), key=lambda p: p.code)

    def get_project(self, code: str) -> Project:
        return sgs.project_from(self._project_row(code))

    def ensure_project(self, code: str, name: str | None = None) -> tuple[Project, bool]:
        try:
            return self.get_project(code), False
        except EntityNotFound:
            pass
        data = {"name": name or code, "tank_name": code}
        created = self.session.call(
            f"create project {code}", self.session.conn.create, sgs.PROJECT, data
        )
        self._project_ids[code] = int(created["id"])
        return Project(code=code, name=name or code), True

    # -- hierarchy ------------------------------------------------------------

    def ensure_hierarchy(
        self,
        project: str,
        specs: Sequence[ShotSpec],
        progress: HierarchyProgress | None = None,
    ) -> HierarchyResult:
        return hierarchy.ensure_hierarchy(
            self.session, self.project_id(project), specs, self.status_for, progress
        )

    def update_shots(self, project: str, changes: Mapping[str, Mapping[str, Any]]) -> None:
        hierarchy.update_shots(self.session, self.project_id(project), changes, self.status_for)

    def _project_rows(self, entity_type: str, project: str, fields: list[str]) -> list[Any]:
        return self.session.find(
            entity_type,
            [["project", "is", sgs.link(sgs.PROJECT, self.project_id(project))]],
            fields,
            order=[{"field_name": "code", "direction": "asc"}],
        )

    def list_episodes(self, project: str) -> list[Episode]:
        rows = self._project_rows(sgs.EPISODE, project, sgs.EPISODE_FIELDS)
        return [Episode(project=project, code=str(row["code"])) for row in rows]

    def list_sequences(self, project: str) -> list[SequenceEntity]:
        rows = self._project_rows(sgs.SEQUENCE, project, sgs.SEQUENCE_FIELDS)
        return [
            SequenceEntity(
                project=project, code=str(r["code"]), episode=r.get("episode.Episode.code")
            )
            for r in rows
        ]

    def list_shots(self, project: str) -> list[Shot]:
        rows = self._project_rows(sgs.SHOT, project, sgs.SHOT_FIELDS)
        episodes: dict[int, str | None] = {}
        if any(not r.get("sg_episode.Episode.code") and r.get("sg_sequence") for r in rows):
            episodes = hierarchy.sequence_episodes(self.session, self.project_id(project))
        return [sgs.shot_from(project, row, episodes) for row in rows]

    def list_assets(self, project: str) -> list[Asset]:
        rows = self._project_rows(sgs.ASSET, project, sgs.ASSET_FIELDS)
        return [
            Asset(
                project=project,
                code=str(r["code"]),
                asset_type=r.get("sg_asset_type"),
                description=r.get("description"),
            )
            for r in rows
        ]

    def shot_task_templates(self, project: str) -> dict[str, str]:
        """Shot code -> TaskTemplate code, for the shots that have one."""
        rows = self._project_rows(sgs.SHOT, project, ["code", "task_template.TaskTemplate.code"])
        return {
            str(r["code"]): str(r["task_template.TaskTemplate.code"])
            for r in rows
            if r.get("task_template.TaskTemplate.code")
        }

    def asset_shots(self, project: str) -> dict[str, list[str]]:
        """Asset code -> codes of the shots it is linked to."""
        assets = self._project_rows(sgs.ASSET, project, ["code", "shots"])
        shots = self._project_rows(sgs.SHOT, project, ["code"])
        shot_codes = {int(r["id"]): str(r["code"]) for r in shots}
        return {
            str(a["code"]): [
                shot_codes[i]
                for i in (sgs.link_id(s) for s in a.get("shots") or [])
                if i in shot_codes
            ]
            for a in assets
        }

    # -- versions, playlists, published files ---------------------------------

    def find_version(self, project: str, code: str) -> Version | None:
        found = versions.by_codes(self.session, project, self.project_id(project), [code])
        return found[0] if found else None

    def create_versions(self, items: Sequence[Version]) -> list[Version]:
        return versions.create_versions(
            self.session, items, self.project_id, self.status_for, self.create_missing_hierarchy
        )

    def update_versions(
        self, project: str, updates: Mapping[str, Mapping[str, Any]]
    ) -> list[Version]:
        return versions.update_versions(
            self.session, project, self.project_id(project), updates, self.status_for
        )

    def delete_versions(self, project: str, codes: Sequence[str]) -> int:
        return versions.delete_versions(self.session, self.project_id(project), codes)

    def list_versions(
        self,
        project: str,
        *,
        status: str | None = None,
        episodes: Sequence[str] | None = None,
        limit: int | None = None,
    ) -> list[Version]:
        project_id = self.project_id(project)
        statuses = None
        if status is not None:
            site = self.valid_statuses(sgs.VERSION) or []
            statuses = versions.status_codes(status, site, self.status_map)
        return versions.list_versions(
            self.session, project, project_id, statuses=statuses, episodes=episodes, limit=limit
        )

    def attach_review_media(self, project: str, code: str, media: ReviewAttachment) -> None:
        review_media.attach(self.session, self.project_id(project), project, code, media)

    def create_playlist(
        self, project: str, code: str, description: str | None = None
    ) -> tuple[Playlist, bool]:
        return playlists.create_playlist(
            self.session, project, self.project_id(project), code, description
        )

    def add_to_playlist(self, project: str, code: str, items: Sequence[str]) -> Playlist:
        return playlists.add_to_playlist(
            self.session, project, self.project_id(project), code, items
        )

    def get_playlist(self, project: str, code: str) -> Playlist:
        return playlists.get_playlist(self.session, project, self.project_id(project), code)

    def list_playlists(self, project: str) -> list[Playlist]:
        return playlists.list_playlists(self.session, project, self.project_id(project))

    def create_published_files(self, files: Sequence[PublishedFile]) -> list[PublishedFile]:
        return playlists.create_published_files(self.session, files, self.project_id)

    def list_published_files(self, project: str, version: str | None = None) -> list[PublishedFile]:
        return playlists.list_published_files(
            self.session, project, self.project_id(project), version
        )

    # -- aggregates -----------------------------------------------------------

    def counts(self, project: str | None = None) -> TrackerCounts:
        return tracker_counts(self.session, None if project is None else self.project_id(project))


def create(settings: Settings) -> ShotGridTracker:
    """Factory named in bootstrap.TRACKERS: a tracker on the configured site."""
    sg = settings.shotgrid
    conn = connect(settings)
    return ShotGridTracker(
        conn,
        policy=RetryPolicy(max_attempts=sg.max_attempts, deadline_seconds=sg.deadline_seconds),
        batch_size=sg.batch_size,
        status_map=settings.status_map,
        create_missing_hierarchy=settings.tracker.create_missing_hierarchy,
    )
