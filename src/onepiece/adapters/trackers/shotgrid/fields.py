"""How OnePiece entities map onto ShotGrid entities and fields.

Pure translation, no requests: entity names, the fields each read asks
for, projects, shots, playlists and status codes. Versions and published
files are in ``shotgrid_media_fields``. Standard fields where ShotGrid has
them; the custom fields docs/configuration.md asks studios to add are
``Shot.sg_episode`` here and two per media entity there.

Project codes are ``Project.tank_name`` (Toolkit's short project name), with
``Project.name`` as a fallback for sites that never set it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from onepiece.domain.entities import Playlist, Project, Shot
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
