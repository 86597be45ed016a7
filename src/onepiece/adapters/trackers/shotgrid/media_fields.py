"""Versions and published files as ShotGrid field data, and back.

Pure. Two custom fields per entity (docs/configuration.md):

- ``sg_checksum`` (text);
- ``sg_onepiece_data`` (text, JSON): what ShotGrid has no field for (size,
  duration, user, free metadata, the codes of links the entity link cannot
  hold).

A version's path goes to ``sg_path_to_frames`` when it is a frame sequence,
else to ``sg_path_to_movie``; a published file's path is a url field.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC
from typing import Any

from onepiece.adapters.trackers.shotgrid.fields import (
    PROJECT,
    PUBLISHED_FILE_TYPE,
    VERSION,
    drop_none,
    link,
    link_id,
    utc,
    utc_now,
)
from onepiece.domain.entities import PublishedFile, Version
from onepiece.domain.sequences import is_frame_pattern


def is_frame_sequence(path: str) -> bool:
    """Frames go to ``sg_path_to_frames``, anything else to ``sg_path_to_movie``."""
    return is_frame_pattern(path)


def onepiece_data(row: Mapping[str, Any]) -> dict[str, Any]:
    raw = row.get("sg_onepiece_data")
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except (TypeError, ValueError, RecursionError):  # tracker data is untrusted
        return {}
    return data if isinstance(data, dict) else {}


def version_data(
    version: Version, project_id: int, entity: dict[str, Any] | None
) -> dict[str, Any]:
    """Fields for creating ``version``; ``entity`` is its Shot/Asset/Sequence/Episode link."""
    path = version.path
    extra = drop_none(
        {
            "size": version.size,
            "duration_seconds": version.duration_seconds,
            "user": version.user,
            "metadata": version.metadata or None,
            "links": drop_none(
                {
                    "shot": version.shot,
                    "sequence": version.sequence,
                    "episode": version.episode,
                    "asset": version.asset,
                }
            )
            or None,
        }
    )
    created = version.created_at or utc_now()
    return drop_none(
        {
            "project": link(PROJECT, project_id),
            "code": version.code,
            "entity": entity,
            "sg_status_list": version.status,
            "description": version.description,
            "sg_path_to_frames": path if path and is_frame_sequence(path) else None,
            "sg_path_to_movie": path if path and not is_frame_sequence(path) else None,
            "sg_first_frame": version.frame_first,
            "sg_last_frame": version.frame_last,
            "frame_range": version.frame_range,
            "sg_checksum": version.checksum,
            "sg_onepiece_data": json.dumps(extra, sort_keys=True) if extra else None,
            "created_at": created if created.tzinfo else created.replace(tzinfo=UTC),
        }
    )


def version_from(
    project: str, row: Mapping[str, Any], entity_codes: Mapping[tuple[str, int], dict[str, Any]]
) -> Version:
    """``entity_codes`` maps (type, id) of linked entities to their shot/sequence/episode/asset."""
    extra = onepiece_data(row)
    links: dict[str, Any] = dict(extra.get("links") or {})
    entity = row.get("entity")
    if isinstance(entity, Mapping) and (entity["type"], entity["id"]) in entity_codes:
        links.update(entity_codes[(entity["type"], entity["id"])])
    uploaded = row.get("sg_uploaded_movie")
    uploaded_url = uploaded.get("url") if isinstance(uploaded, Mapping) else None
    return Version(
        project=project,
        code=str(row["code"]),
        shot=links.get("shot"),
        sequence=links.get("sequence"),
        episode=links.get("episode"),
        asset=links.get("asset"),
        status=row.get("sg_status_list"),
        path=row.get("sg_path_to_frames") or row.get("sg_path_to_movie") or uploaded_url,
        frame_first=row.get("sg_first_frame"),
        frame_last=row.get("sg_last_frame"),
        frame_range=row.get("frame_range"),
        checksum=row.get("sg_checksum"),
        size=extra.get("size"),
        user=extra.get("user"),
        description=row.get("description"),
        created_at=utc(row.get("created_at")),
        duration_seconds=extra.get("duration_seconds"),
        metadata=dict(extra.get("metadata") or {}),
    )


# Domain field name -> ShotGrid field for Version updates; the rest go to sg_onepiece_data.
VERSION_UPDATE_FIELDS = {
    "status": "sg_status_list",
    "description": "description",
    "frame_first": "sg_first_frame",
    "frame_last": "sg_last_frame",
    "frame_range": "frame_range",
    "checksum": "sg_checksum",
}
VERSION_DATA_FIELDS = {"size", "duration_seconds", "user", "metadata"}


def version_update(row: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """ShotGrid update data for domain-level ``changes`` to the version in ``row``."""
    data: dict[str, Any] = {}
    extra = onepiece_data(row)
    extra_changed = False
    for name, value in changes.items():
        if name in VERSION_UPDATE_FIELDS:
            data[VERSION_UPDATE_FIELDS[name]] = value
        elif name == "path":
            frames = bool(value) and is_frame_sequence(str(value))
            data["sg_path_to_frames"] = value if frames else None
            data["sg_path_to_movie"] = value if value and not frames else None
        elif name in VERSION_DATA_FIELDS:
            extra_changed = True
            if value is None:
                extra.pop(name, None)
            else:
                extra[name] = dict(value) if name == "metadata" else value
        else:
            raise KeyError(name)
    if extra_changed:
        data["sg_onepiece_data"] = json.dumps(extra, sort_keys=True) if extra else None
    return data


def path_value(path: str) -> dict[str, Any]:
    """A ShotGrid url-field value for a storage URI or local path."""
    url = path if "://" in path else "file://" + path
    return {"url": url, "name": path.rstrip("/").rsplit("/", 1)[-1] or path, "link_type": "web"}


def path_from(value: Any) -> str:
    if not isinstance(value, Mapping):
        return str(value or "")
    if value.get("local_path"):
        return str(value["local_path"])
    url = str(value.get("url") or "")
    return url[len("file://") :] if url.startswith("file://") else url


def published_file_data(
    item: PublishedFile, project_id: int, version_id: int | None, type_id: int | None
) -> dict[str, Any]:
    extra = drop_none({"size": item.size})
    return drop_none(
        {
            "project": link(PROJECT, project_id),
            "code": item.code,
            "name": item.code,
            "path": path_value(item.path),
            "version": link(VERSION, version_id) if version_id is not None else None,
            "published_file_type": link(PUBLISHED_FILE_TYPE, type_id) if type_id else None,
            "sg_checksum": item.checksum,
            "sg_onepiece_data": json.dumps(extra, sort_keys=True) if extra else None,
        }
    )


def published_file_from(
    project: str, row: Mapping[str, Any], version_codes: Mapping[int, str]
) -> PublishedFile:
    version_id = link_id(row.get("version"))
    return PublishedFile(
        project=project,
        code=str(row["code"]),
        path=path_from(row.get("path")),
        version=version_codes.get(version_id) if version_id is not None else None,
        file_type=row.get("published_file_type.PublishedFileType.code"),
        checksum=row.get("sg_checksum"),
        size=onepiece_data(row).get("size"),
    )
