"""Kitsu tasks: where OnePiece Versions are published, and the statuses they carry.

Task statuses and task types are read once per tracker; a task is found (or
created) once per entity and task type, then cached, so registering many
versions on one shot costs no extra lookups.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from onepiece.adapters.trackers.kitsu import hierarchy
from onepiece.errors import EntityNotFound

if TYPE_CHECKING:
    from onepiece.adapters.trackers.kitsu.session import KitsuSession


class KitsuTasks:
    def __init__(self, session: KitsuSession) -> None:
        self.session = session
        self._statuses: dict[str, str] | None = None
        self._task_types: dict[tuple[str, str], str] | None = None
        self._tasks: dict[str, dict[str, Any]] = {}
        self._entity_tasks: dict[tuple[str, str], str] = {}

    def statuses(self) -> dict[str, str]:
        """Kitsu task status short name -> id (read once)."""
        if self._statuses is None:
            rows = self.session.get("read task statuses", "data/task-status")
            self._statuses = {str(r["short_name"]).lower(): str(r["id"]) for r in rows}
        return self._statuses

    def _task_type_id(self, name: str, for_entity: str) -> str:
        if self._task_types is None:
            rows = self.session.get("read task types", "data/task-types")
            self._task_types = {
                (str(r["name"]).lower(), str(r.get("for_entity") or "Shot")): str(r["id"])
                for r in rows
            }
        key = (name.lower(), for_entity)
        if key not in self._task_types:
            raise EntityNotFound(
                f"Kitsu has no {for_entity} task type {name!r}",
                hint="set kitsu.shot_task_type / kitsu.asset_task_type to a task type "
                "Kitsu lists under Settings > Task Types",
            )
        return self._task_types[key]

    def _entity_id(self, project: str, project_id: str, kind: str, code: str) -> str:
        if kind == "Edit":
            rows = self.session.get("list edits", f"data/projects/{project_id}/edits")
            for row in rows:
                if row["name"] == code:
                    return str(row["id"])
            types = hierarchy.entity_type_ids(self.session)
            made = self.session.post(
                "create the OnePiece edit",
                "data/entities",
                {"name": code, "project_id": project_id, "entity_type_id": types["Edit"]},
            )
            return str(made["id"])
        for row in hierarchy.rows(self.session, project_id, kind):
            if row["name"] == code:
                return str(row["id"])
        raise EntityNotFound(f"{kind.lower()} {code} not found in {project}")

    def task_on(self, project: str, project_id: str, kind: str, code: str, task_type: str) -> str:
        """The id of ``code``'s task of ``task_type``, created when missing."""
        key = (f"{project}/{kind}/{code}", task_type)
        if key in self._entity_tasks:
            return self._entity_tasks[key]
        entity_id = self._entity_id(project, project_id, kind, code)
        type_id = self._task_type_id(task_type, kind)
        rows = self.session.get(
            "find the task", "data/tasks", {"entity_id": entity_id, "task_type_id": type_id}
        )
        if rows:
            task_id = str(rows[0]["id"])
        else:
            made = self.session.post(
                f"create the {task_type} task of {code}",
                "data/tasks",
                {
                    "name": "main",
                    "project_id": project_id,
                    "entity_id": entity_id,
                    "task_type_id": type_id,
                    "task_status_id": self.statuses().get("todo")
                    or next(iter(self.statuses().values())),
                },
            )
            task_id = str(made["id"])
        self._entity_tasks[key] = task_id
        return task_id

    def task(self, task_id: str) -> dict[str, Any]:
        if task_id not in self._tasks:
            self._tasks[task_id] = dict(self.session.get("read a task", f"data/tasks/{task_id}"))
        return self._tasks[task_id]
