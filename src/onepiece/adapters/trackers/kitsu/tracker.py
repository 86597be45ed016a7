"""The Kitsu tracker: the Tracker port on CGWire's zou API through ``gazu``.

Built by ``create(settings)`` from ``[kitsu]`` (ONEPIECE_KITSU_URL, _EMAIL,
_PASSWORD). The mapping lives in ``fields``, requests and retries in
``session``, error translation in ``errors``; ``hierarchy``, ``versions``
and ``playlists`` implement the port's methods, which this class wires up.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from onepiece.adapters.trackers.base import HierarchyProgress
from onepiece.adapters.trackers.kitsu import fields, hierarchy, playlists, review_media, versions
from onepiece.adapters.trackers.kitsu.session import KitsuSession, connect
from onepiece.adapters.trackers.kitsu.tasks import KitsuTasks
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
from onepiece.errors import EntityNotFound

if TYPE_CHECKING:
    from onepiece.config import Settings


class KitsuTracker:
    name = "kitsu"

    def __init__(
        self,
        session: KitsuSession,
        *,
        status_map: Mapping[str, str] | None = None,
        shot_task_type: str = "Compositing",
        asset_task_type: str = "Modeling",
        create_missing_hierarchy: bool = True,
    ) -> None:
        self.session = session
        # Kitsu's own short names count in their buckets; the studio's map wins.
        self.status_map = {**fields.KITSU_STATUS_BUCKETS, **(status_map or {})}
        self.shot_task_type = shot_task_type
        self.asset_task_type = asset_task_type
        self.create_missing_hierarchy = create_missing_hierarchy
        self._projects: dict[str, dict[str, Any]] = {}
        self.tasks = KitsuTasks(session)

    # -- plumbing -------------------------------------------------------------

    def _project_rows(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self.session.get("list projects", "data/projects")]

    def _project_row(self, code: str) -> dict[str, Any]:
        if code not in self._projects:
            rows = self._project_rows()
            # The code first; a project only named like it comes second.
            rows.sort(key=lambda row: row.get("code") != code)
            found = [r for r in rows if r.get("code") == code or r.get("name") == code]
            if not found:
                raise EntityNotFound(
                    f"project {code} not found on Kitsu at {self.session.url}",
                    hint="check the project code (the Kitsu project's code) or create it",
                )
            self._projects[code] = found[0]
        return self._projects[code]

    def project_id(self, code: str) -> str:
        return str(self._project_row(code)["id"])

    def project_extras(self, code: str) -> dict[str, Any]:
        row = self.session.get("read project data", f"data/projects/{self.project_id(code)}")
        return dict((row.get("data") or {}).get("onepiece") or {})

    def update_project_extras(self, code: str, change: Callable[[dict[str, Any]], Any]) -> None:
        project_id = self.project_id(code)
        row = self.session.get("read project data", f"data/projects/{project_id}")
        data = dict(row.get("data") or {})
        extras = dict(data.get("onepiece") or {})
        change(extras)
        data["onepiece"] = extras
        self.session.put("write project data", f"data/projects/{project_id}", {"data": data})

    def _closed_status_ids(self) -> set[str]:
        rows = self.session.get("read project statuses", "data/project-status")
        return {str(r["id"]) for r in rows if str(r.get("name")).lower() == "closed"}

    def task_statuses(self) -> dict[str, str]:
        return self.tasks.statuses()

    def task_on(self, project: str, kind: str, code: str, task_type: str) -> str:
        return self.tasks.task_on(project, self.project_id(project), kind, code, task_type)

    def task_project(self, task_id: str) -> str:
        return str(self.tasks.task(task_id)["project_id"])

    def task_entity(self, task_id: str) -> str:
        return str(self.tasks.task(task_id)["entity_id"])

    def ping(self) -> str:
        version = self.session.server_version()
        self.session.login()
        return f"Kitsu {self.session.url} (zou {version}) answered; logged in"

    def close(self) -> None:
        self.session.close()

    # -- projects -------------------------------------------------------------

    def list_projects(self, include_archived: bool = False) -> list[Project]:
        closed = self._closed_status_ids()
        projects = [fields.project_from(r, closed) for r in self._project_rows()]
        return sorted(
            (p for p in projects if include_archived or not p.archived), key=lambda p: p.code
        )

    def get_project(self, code: str) -> Project:
        self._projects.pop(code, None)
        return fields.project_from(self._project_row(code), self._closed_status_ids())

    def ensure_project(self, code: str, name: str | None = None) -> tuple[Project, bool]:
        try:
            return self.get_project(code), False
        except EntityNotFound:
            pass
        open_status = [
            r["id"]
            for r in self.session.get("read project statuses", "data/project-status")
            if str(r.get("name")).lower() == "open"
        ]
        row = self.session.post(
            f"create project {code}",
            "data/projects",
            {
                "name": name or code,
                "code": code,
                "production_type": "tvshow",
                **({"project_status_id": open_status[0]} if open_status else {}),
            },
        )
        self._projects[code] = dict(row)
        # zou gives a new TV show a first episode (E01); OnePiece creates its own.
        for episode in hierarchy.rows(self.session, str(row["id"]), "Episode"):
            self.session.delete("remove the default episode", f"data/entities/{episode['id']}")
        return Project(code=code, name=name or code), True

    # -- hierarchy ------------------------------------------------------------

    def ensure_hierarchy(
        self,
        project: str,
        specs: Sequence[ShotSpec],
        progress: HierarchyProgress | None = None,
    ) -> HierarchyResult:
        return hierarchy.ensure_hierarchy(self.session, self.project_id(project), specs, progress)

    def list_episodes(self, project: str) -> list[Episode]:
        rows = hierarchy.rows(self.session, self.project_id(project), "Episode")
        return sorted((Episode(project, str(r["name"])) for r in rows), key=lambda e: e.code)

    def _sequence_parents(self, project: str) -> dict[str, tuple[str, str | None]]:
        project_id = self.project_id(project)
        return hierarchy.sequence_parents(
            hierarchy.rows(self.session, project_id, "Sequence"),
            hierarchy.rows(self.session, project_id, "Episode"),
        )

    def list_sequences(self, project: str) -> list[SequenceEntity]:
        parents = self._sequence_parents(project)
        items = [SequenceEntity(project, code, episode) for code, episode in parents.values()]
        return sorted(items, key=lambda s: s.code)

    def update_shots(self, project: str, changes: Mapping[str, Mapping[str, Any]]) -> None:
        hierarchy.update_shots(self.session, self.project_id(project), changes)

    def list_shots(self, project: str) -> list[Shot]:
        parents = self._sequence_parents(project)
        rows = hierarchy.rows(self.session, self.project_id(project), "Shot")
        return sorted((fields.shot_from(project, r, parents) for r in rows), key=lambda s: s.code)

    def list_assets(self, project: str) -> list[Asset]:
        rows = hierarchy.rows(self.session, self.project_id(project), "Asset")
        types = {v: k for k, v in hierarchy.entity_type_ids(self.session).items()}
        return sorted(
            (
                Asset(
                    project,
                    str(r["name"]),
                    asset_type=types.get(str(r.get("entity_type_id"))),
                    description=r.get("description") or None,
                )
                for r in rows
            ),
            key=lambda a: a.code,
        )

    def asset_shots(self, project: str) -> dict[str, list[str]]:
        """Asset code -> codes of the shots it is cast in (templates save them)."""
        return hierarchy.asset_shots(self.session, self.project_id(project))

    def shot_task_templates(self, project: str) -> dict[str, str]:
        """Kitsu has no task templates: nothing to save."""
        return {}

    # -- versions, playlists, published files ---------------------------------

    def find_version(self, project: str, code: str) -> Version | None:
        return versions.find_version(self, project, code)

    def create_versions(self, items: Sequence[Version]) -> list[Version]:
        return versions.create_versions(self, items)

    def update_versions(
        self, project: str, updates: Mapping[str, Mapping[str, Any]]
    ) -> list[Version]:
        return versions.update_versions(self, project, updates)

    def delete_versions(self, project: str, codes: Sequence[str]) -> int:
        return versions.delete_versions(self, project, codes)

    def list_versions(
        self,
        project: str,
        *,
        status: str | None = None,
        episodes: Sequence[str] | None = None,
        limit: int | None = None,
    ) -> list[Version]:
        return versions.list_versions(self, project, status=status, episodes=episodes, limit=limit)

    def attach_review_media(self, project: str, code: str, media: ReviewAttachment) -> None:
        """The proxy movie (else the thumbnail) as the Version's Kitsu preview."""
        review_media.attach(self, project, code, media)

    def create_playlist(
        self, project: str, code: str, description: str | None = None
    ) -> tuple[Playlist, bool]:
        return playlists.create_playlist(self, project, code, description)

    def add_to_playlist(self, project: str, code: str, items: Sequence[str]) -> Playlist:
        return playlists.add_to_playlist(self, project, code, items)

    def get_playlist(self, project: str, code: str) -> Playlist:
        return playlists.get_playlist(self, project, code)

    def list_playlists(self, project: str) -> list[Playlist]:
        return playlists.list_playlists(self, project)

    def create_published_files(self, files: Sequence[PublishedFile]) -> list[PublishedFile]:
        return playlists.create_published_files(self, files)

    def list_published_files(self, project: str, version: str | None = None) -> list[PublishedFile]:
        return playlists.list_published_files(self, project, version)

    # -- aggregates -----------------------------------------------------------

    def counts(self, project: str | None = None) -> TrackerCounts:
        codes = [project] if project is not None else [p.code for p in self.list_projects(True)]
        episodes = sequences = 0
        shot_status: Counter[str] = Counter()
        version_status: Counter[str] = Counter()
        for code in codes:
            project_id = self.project_id(code)
            episodes += len(hierarchy.rows(self.session, project_id, "Episode"))
            sequences += len(hierarchy.rows(self.session, project_id, "Sequence"))
            for shot in self.list_shots(code):
                shot_status[shot.status or ""] += 1
            for version in versions.list_versions(self, code):
                version_status[version.status or ""] += 1
        return TrackerCounts(
            projects=len(codes),
            episodes=episodes,
            sequences=sequences,
            shots=sum(shot_status.values()),
            versions=sum(version_status.values()),
            version_status=dict(version_status),
            shot_status=dict(shot_status),
        )


def create(settings: Settings) -> KitsuTracker:
    """Factory named in bootstrap.TRACKERS: a tracker on the configured Kitsu."""
    kitsu = settings.kitsu
    return KitsuTracker(
        connect(settings),
        status_map=settings.status_map,
        shot_task_type=kitsu.shot_task_type,
        asset_task_type=kitsu.asset_task_type,
        create_missing_hierarchy=settings.tracker.create_missing_hierarchy,
    )
