"""A ShotGrid site schema written by our tests, in mockgun's pickle format.

mockgun (``shotgun_api3.lib.mockgun``) ships no schema: it loads two pickles
made by ``schema_read()`` and ``schema_entity_read()`` of a real site. This
module writes both for a small site that has the standard entities and fields
OnePiece uses plus the custom fields docs/configuration.md asks studios to add
(``sg_episode`` on Shot, ``sg_checksum`` and ``sg_onepiece_data`` on Version
and PublishedFile). It is written by hand, independently of the adapter's own
field table, so a misspelt field in the adapter fails the tests the way it
would fail on a real site.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

# mockgun reads pickles made with protocol 2 (the SDK's oldest supported one).
PICKLE_PROTOCOL = 2

STATUS_CODES = ["wtg", "rdy", "ip", "rev", "apr", "fin", "hld", "omt", "na"]
ASSET_TYPES = ["Character", "Prop", "Environment", "Vehicle", "FX", "Matte Painting"]


def _field(
    entity: str,
    name: str,
    data_type: str,
    *,
    valid_types: list[str] | None = None,
    valid_values: list[str] | None = None,
    default: Any = None,
    editable: bool = True,
) -> dict[str, Any]:
    """One field in the shape ``Shotgun.schema_read()`` returns."""
    properties: dict[str, Any] = {
        "default_value": {"value": default, "editable": False},
        "summary_default": {"value": "none", "editable": True},
    }
    if valid_types is not None:
        properties["valid_types"] = {"value": list(valid_types), "editable": True}
    if valid_values is not None:
        properties["valid_values"] = {"value": list(valid_values), "editable": True}
    return {
        "data_type": {"value": data_type, "editable": False},
        "properties": properties,
        "entity_type": {"value": entity, "editable": False},
        "name": {"value": name.replace("sg_", "").replace("_", " ").title(), "editable": True},
        "editable": {"value": editable, "editable": False},
        "mandatory": {"value": False, "editable": False},
        "unique": {"value": False, "editable": False},
        "visible": {"value": True, "editable": False},
        "description": {"value": "", "editable": True},
    }


def _status(entity: str) -> dict[str, Any]:
    return _field(entity, "sg_status_list", "status_list", valid_values=STATUS_CODES, default="wtg")


def _link(entity: str, name: str, *types: str) -> dict[str, Any]:
    return _field(entity, name, "entity", valid_types=list(types))


def _links(entity: str, name: str, *types: str) -> dict[str, Any]:
    return _field(entity, name, "multi_entity", valid_types=list(types))


def _common(entity: str, *, code: bool = True, project: bool = True) -> dict[str, dict[str, Any]]:
    fields = {
        "id": _field(entity, "id", "number", editable=False),
        "created_at": _field(entity, "created_at", "date_time"),
        "updated_at": _field(entity, "updated_at", "date_time", editable=False),
        "created_by": _link(entity, "created_by", "HumanUser", "ApiUser"),
        "description": _field(entity, "description", "text"),
    }
    if code:
        fields["code"] = _field(entity, "code", "text")
    if project:
        fields["project"] = _link(entity, "project", "Project")
    return fields


def site_schema() -> dict[str, dict[str, dict[str, Any]]]:
    """``schema_read()`` of the test site: entity -> field -> field schema."""
    schema: dict[str, dict[str, dict[str, Any]]] = {}

    def entity(name: str, fields: dict[str, dict[str, Any]], **common: bool) -> None:
        schema[name] = {**_common(name, **common), **fields}

    entity(
        "Project",
        {
            "name": _field("Project", "name", "text"),
            "tank_name": _field("Project", "tank_name", "text"),
            "archived": _field("Project", "archived", "checkbox", default=False),
            "is_template": _field("Project", "is_template", "checkbox", default=False),
            "sg_status": _field("Project", "sg_status", "list", valid_values=["Active", "Bidding"]),
        },
        code=False,
        project=False,
    )
    entity(
        "HumanUser",
        {
            "login": _field("HumanUser", "login", "text"),
            "name": _field("HumanUser", "name", "text"),
            "email": _field("HumanUser", "email", "text"),
            "sg_status_list": _status("HumanUser"),
        },
        code=False,
        project=False,
    )
    entity("ApiUser", {"firstname": _field("ApiUser", "firstname", "text")}, project=False)
    entity("Episode", {"sg_status_list": _status("Episode")})
    entity(
        "Sequence",
        {
            "episode": _link("Sequence", "episode", "Episode"),
            "sg_status_list": _status("Sequence"),
            "shots": _links("Sequence", "shots", "Shot"),
        },
    )
    entity(
        "Shot",
        {
            "sg_sequence": _link("Shot", "sg_sequence", "Sequence"),
            "sg_episode": _link("Shot", "sg_episode", "Episode"),
            "sg_cut_in": _field("Shot", "sg_cut_in", "number"),
            "sg_cut_out": _field("Shot", "sg_cut_out", "number"),
            "sg_cut_duration": _field("Shot", "sg_cut_duration", "number"),
            "sg_status_list": _status("Shot"),
            "assets": _links("Shot", "assets", "Asset"),
            "task_template": _link("Shot", "task_template", "TaskTemplate"),
        },
    )
    entity(
        "Asset",
        {
            "sg_asset_type": _field("Asset", "sg_asset_type", "list", valid_values=ASSET_TYPES),
            "sg_status_list": _status("Asset"),
            "shots": _links("Asset", "shots", "Shot"),
            "task_template": _link("Asset", "task_template", "TaskTemplate"),
        },
    )
    entity(
        "Version",
        {
            "entity": _link("Version", "entity", "Shot", "Asset", "Sequence", "Episode"),
            "sg_status_list": _status("Version"),
            "sg_path_to_frames": _field("Version", "sg_path_to_frames", "text"),
            "sg_path_to_movie": _field("Version", "sg_path_to_movie", "text"),
            "sg_uploaded_movie": _field("Version", "sg_uploaded_movie", "url"),
            "sg_first_frame": _field("Version", "sg_first_frame", "number"),
            "sg_last_frame": _field("Version", "sg_last_frame", "number"),
            "frame_range": _field("Version", "frame_range", "text"),
            "frame_count": _field("Version", "frame_count", "number"),
            "user": _link("Version", "user", "HumanUser", "ApiUser"),
            "playlists": _links("Version", "playlists", "Playlist"),
            "sg_task": _link("Version", "sg_task", "Task"),
            "sg_checksum": _field("Version", "sg_checksum", "text"),
            "sg_onepiece_data": _field("Version", "sg_onepiece_data", "text"),
        },
    )
    entity(
        "Playlist",
        {
            "versions": _links("Playlist", "versions", "Version"),
            "locked": _field("Playlist", "locked", "checkbox", default=False),
        },
    )
    entity(
        "PublishedFile",
        {
            "name": _field("PublishedFile", "name", "text"),
            "path": _field("PublishedFile", "path", "url"),
            "path_cache": _field("PublishedFile", "path_cache", "text"),
            "version": _link("PublishedFile", "version", "Version"),
            "entity": _link("PublishedFile", "entity", "Shot", "Asset", "Sequence"),
            "published_file_type": _link(
                "PublishedFile", "published_file_type", "PublishedFileType"
            ),
            "version_number": _field("PublishedFile", "version_number", "number"),
            "sg_status_list": _status("PublishedFile"),
            "sg_checksum": _field("PublishedFile", "sg_checksum", "text"),
            "sg_onepiece_data": _field("PublishedFile", "sg_onepiece_data", "text"),
        },
    )
    entity("PublishedFileType", {}, project=False)
    entity(
        "TaskTemplate",
        {"entity_type": _field("TaskTemplate", "entity_type", "entity_type")},
        project=False,
    )
    entity(
        "Task",
        {
            "content": _field("Task", "content", "text"),
            "entity": _link("Task", "entity", "Shot", "Asset"),
            "sg_status_list": _status("Task"),
        },
        code=False,
    )
    entity(
        "EventLogEntry",
        {
            "event_type": _field("EventLogEntry", "event_type", "text"),
            "entity": _link("EventLogEntry", "entity", "Shot", "Asset", "Version"),
            "meta": _field("EventLogEntry", "meta", "serializable"),
            "user": _link("EventLogEntry", "user", "HumanUser", "ApiUser"),
        },
        code=False,
    )
    return schema


def site_entity_schema(schema: dict[str, dict[str, dict[str, Any]]]) -> dict[str, Any]:
    """``schema_entity_read()``: entity -> display name and visibility."""
    return {
        name: {"name": {"value": name, "editable": False}, "visible": {"value": True}}
        for name in schema
    }


def write_schema(folder: Path, without: dict[str, list[str]] | None = None) -> tuple[Path, Path]:
    """Write both pickles into ``folder``; return (schema_path, schema_entity_path).

    ``without`` drops fields ({"Version": ["sg_checksum"]}) to play a site that
    lacks them.
    """
    folder.mkdir(parents=True, exist_ok=True)
    schema = site_schema()
    for entity, fields in (without or {}).items():
        for name in fields:
            del schema[entity][name]
    schema_path = folder / "schema.pickle"
    entity_path = folder / "schema_entity.pickle"
    schema_path.write_bytes(pickle.dumps(schema, protocol=PICKLE_PROTOCOL))
    entity_path.write_bytes(pickle.dumps(site_entity_schema(schema), protocol=PICKLE_PROTOCOL))
    return schema_path, entity_path


def mockgun_site(
    folder: Path,
    url: str = "https://onepiece-test.shotgunstudio.com",
    without: dict[str, list[str]] | None = None,
) -> Any:
    """A fresh, empty mockgun site on our schema (schema paths are class-level in mockgun)."""
    from shotgun_api3.lib import mockgun

    schema_path, entity_path = write_schema(folder, without)
    mockgun.Shotgun.set_schema_paths(str(schema_path), str(entity_path))
    return mockgun.Shotgun(url, script_name="onepiece-tests", api_key="not-a-real-key")


# The calls that are one request each on a real site.
API_METHODS = frozenset(
    {"find", "find_one", "create", "update", "delete", "batch", "summarize", "schema_field_read"}
)


class RequestCounter:
    """Wraps a Shotgun-compatible connection and counts API calls, one per request.

    Only calls made through the wrapper count: mockgun's ``batch`` calling its
    own ``create`` internally is still one request, as on a real site. Other
    attributes pass through (so ``summarize`` stays missing on mockgun).
    """

    def __init__(self, conn: Any) -> None:
        self._conn = conn
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._conn, name)
        if name not in API_METHODS:
            return attribute

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls.append(name)
            return attribute(*args, **kwargs)

        return counted

    def count(self, *methods: str) -> int:
        return sum(1 for call in self.calls if not methods or call in methods)

    def reset(self) -> None:
        self.calls.clear()
