"""How OnePiece entities map onto ShotGrid entities and fields.

Pure translation, no requests. Standard fields where ShotGrid has them;
three custom fields that docs/configuration.md asks studios to add:

- ``Shot.sg_episode`` (entity -> Episode): episodes of shots without sequences.
- ``Version.sg_checksum`` / ``PublishedFile.sg_checksum`` (text).
- ``Version.sg_onepiece_data`` / ``PublishedFile.sg_onepiece_data`` (text, JSON):
  what ShotGrid has no field for (size, duration, free metadata, the codes of
  links the entity link cannot hold).

Project codes are ``Project.tank_name`` (Toolkit's short project name), with
``Project.name`` as a fallback for sites that never set it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from onepiece.domain.entities import Playlist, Project, PublishedFile, Shot, Version
from onepiece.domain.status import BUCKETS, bucket_for

PROJECT = "Project"
EPISODE = "Episode"
SEQUENCE = "Sequence"
SHOT = "Shot"
ASSET = "Asset"
VERSION = "Version"
PLAYLIST = "Playlist"
PUBLISHED_FILE = "PublishedFile"
PUBLISHED_FILE_TYPE = "PublishedFileType"
TASK_TEMPLATE = "TaskTemplate"
HUMAN_USER = "HumanUser"

PROJECT_FIELDS = ["name", "tank_name", "archived"]
EPISODE_FIELDS = ["code"]
SEQUENCE_FIELDS = ["code", "episode", "episode.Episode.code"]
SHOT_FIELDS = [
    "code",
    "sg_sequence",
    "sg_sequence.Sequence.code",
    "sg_episode.Episode.code",
    "sg_status_list",
    "sg_cut_in",
    "sg_cut_out",
    "description",
]
ASSET_FIELDS = ["code", "sg_asset_type", "description", "shots"]
VERSION_FIELDS = [
    "code",
    "entity",
    "sg_status_list",
    "sg_path_to_frames",
    "sg_path_to_movie",
    "sg_uploaded_movie",
    "sg_first_frame",
    "sg_last_frame",
    "frame_range",
    "description",
    "created_at",
    "sg_checksum",
    "sg_onepiece_data",
]
PLAYLIST_FIELDS = ["code", "description", "versions", "created_at"]
PUBLISHED_FILE_FIELDS = [
    "code",
    "path",
    "version",
    "published_file_type",
    "published_file_type.PublishedFileType.code",
    "sg_checksum",
    "sg_onepiece_data",
]

# Bucket -> the ShotGrid status code to write when given a bucket or a long name.
PREFERRED_CODES = {
    "waiting": "wtg",
    "ready": "rdy",
    "in_progress": "ip",
    "review": "rev",
    "approved": "apr",
    "final": "fin",
    "on_hold": "hld",
    "omitted": "omt",
}
# Frame-sequence markers: #, @, printf-style %04d, or a fileseq range before them.
_FRAMES = re.compile(r"[#@]|%0?\d*d")


def link(entity_type: str, entity_id: int) -> dict[str, Any]:
    return {"type": entity_type, "id": entity_id}


def link_id(value: Any) -> int | None:
    return int(value["id"]) if isinstance(value, Mapping) and "id" in value else None


def drop_none(data: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if value is not None}


def utc(value: Any) -> datetime | None:
    """ShotGrid datetimes (aware local or naive UTC) as aware UTC."""
    if not isinstance(value, datetime):
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utc_now() -> datetime:
    return datetime.now(UTC)


def project_code(row: Mapping[str, Any]) -> str:
    return str(row.get("tank_name") or row.get("name") or "")


def project_from(row: Mapping[str, Any]) -> Project:
    return Project(
        code=project_code(row),
        name=str(row.get("name") or ""),
        archived=bool(row.get("archived")),
    )


def shot_from(
    project: str, row: Mapping[str, Any], sequence_episodes: Mapping[int, str | None]
) -> Shot:
    """``sequence_episodes`` maps Sequence ids to episode codes for shots without sg_episode."""
    episode = row.get("sg_episode.Episode.code")
    sequence_id = link_id(row.get("sg_sequence"))
    if episode is None and sequence_id is not None:
        episode = sequence_episodes.get(sequence_id)
    return Shot(
        project=project,
        code=str(row["code"]),
        sequence=row.get("sg_sequence.Sequence.code"),
        episode=episode,
        status=row.get("sg_status_list"),
        cut_in=row.get("sg_cut_in"),
        cut_out=row.get("sg_cut_out"),
        description=row.get("description"),
    )


def is_frame_sequence(path: str) -> bool:
    return bool(_FRAMES.search(path))


def onepiece_data(row: Mapping[str, Any]) -> dict[str, Any]:
    raw = row.get("sg_onepiece_data")
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except (TypeError, ValueError):
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


def playlist_from(
    project: str, row: Mapping[str, Any], version_codes: Mapping[int, str]
) -> Playlist:
    ids = [link_id(item) for item in row.get("versions") or []]
    return Playlist(
        project=project,
        code=str(row["code"]),
        description=row.get("description"),
        versions=tuple(version_codes[i] for i in ids if i is not None and i in version_codes),
        created_at=utc(row.get("created_at")),
    )


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


def outgoing_status(
    value: str | None, valid_codes: list[str] | None, overrides: Mapping[str, str]
) -> str | None:
    """The ShotGrid code to write for ``value`` (a code, a long name or a bucket).

    With the field's valid codes known, a value that is not one of them is
    written as a valid code of the same bucket (``approved`` -> ``apr``).
    Returns the value unchanged when nothing better is known; ShotGrid then
    rejects it with a clear field error.
    """
    if value is None or not valid_codes or value in valid_codes:
        return value
    bucket = value if value in BUCKETS else bucket_for(value, overrides)
    preferred = PREFERRED_CODES.get(bucket)
    if preferred in valid_codes:
        return preferred
    for code in valid_codes:
        if bucket != "unknown" and bucket_for(code, overrides) == bucket:
            return code
    return value
