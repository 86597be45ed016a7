"""The mapping between OnePiece entities and Kitsu (zou) records.

- Project: Kitsu project, ``code`` = OnePiece code, ``name`` = display name;
  "Closed" projects are archived. OnePiece extras (playlist descriptions,
  published files) live under the project's ``data["onepiece"]``.
- Episode, Sequence, Shot, Asset: Kitsu entities named by their OnePiece code
  (a shot keeps its full code, unique in the project); cut in/out in the
  shot's ``data.frame_in``/``frame_out`` as Kitsu's own UI does.
- Version: a preview revision (``preview_file``) on the shot's task of
  ``kitsu.shot_task_type``, the asset's task of ``kitsu.asset_task_type``, or
  the project's ``onepiece`` edit when it is linked to neither. Its code is
  the preview's name; checksum, frames, user and metadata are in its ``data``.
- Status: written to Kitsu as the closest task status (a comment on the task),
  kept verbatim in the preview's data so OnePiece reads back what it wrote.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from onepiece.domain.entities import Project, Shot, Version
from onepiece.domain.status import BUCKETS, bucket_for

# Kitsu's default task statuses (zou init-data) in OnePiece's buckets.
KITSU_STATUS_BUCKETS: dict[str, str] = {
    "todo": "waiting",
    "ready": "ready",
    "wip": "in_progress",
    "retake": "in_progress",
    "rejected": "in_progress",
    "wfa": "review",
    "approved": "approved",
    "done": "final",
}
# Bucket -> the Kitsu task status a OnePiece status is shown as.
BUCKET_TO_KITSU: dict[str, str] = {
    "waiting": "todo",
    "ready": "ready",
    "in_progress": "wip",
    "review": "wfa",
    "approved": "approved",
    "final": "done",
    "on_hold": "todo",
    "omitted": "done",
    "unknown": "wfa",
}
# Version fields stored in the preview's data (everything beyond name/path/description/size).
VERSION_DATA_FIELDS = (
    "shot",
    "sequence",
    "episode",
    "asset",
    "status",
    "frame_first",
    "frame_last",
    "frame_range",
    "checksum",
    "user",
    "duration_seconds",
    "metadata",
)
VERSION_UPDATE_FIELDS = frozenset({"status", "path", "description", "size", *VERSION_DATA_FIELDS})
UNLINKED_EDIT = "onepiece"
# Review media zou can play: movies (encoded by its ffmpeg) and still images.
REVIEW_MEDIA = frozenset({".mov", ".mp4", ".m4v", ".webm", ".mkv", ".png", ".jpg", ".jpeg"})


def review_media(path: str | None) -> Path | None:
    """The local movie or image a Version points at, to upload as its preview.

    Only local files (a path or a ``file://`` URI): frame sequences and object
    storage URIs have no single playable file here.
    """
    if not path:
        return None
    if path.startswith("file://"):
        path = unquote(urlparse(path).path)
    elif "://" in path:
        return None
    candidate = Path(path)
    if candidate.suffix.lower() not in REVIEW_MEDIA or not candidate.is_file():
        return None
    return candidate


def kitsu_status(value: str | None, known: Mapping[str, str], overrides: Mapping[str, str]) -> str:
    """The Kitsu task status short name to show ``value`` as (``known``: short name -> id)."""
    if value and value.lower() in known:
        return value.lower()
    bucket = value if value in BUCKETS else bucket_for(value, overrides)
    preferred = BUCKET_TO_KITSU.get(bucket, "wfa")
    if preferred in known:
        return preferred
    for code in known:
        if bucket_for(code, {**KITSU_STATUS_BUCKETS, **overrides}) == bucket:
            return code
    return next(iter(known))


def project_from(row: Mapping[str, Any], closed_status_ids: set[str]) -> Project:
    return Project(
        code=str(row.get("code") or row["name"]),
        name=str(row["name"]),
        archived=row.get("project_status_id") in closed_status_ids,
    )


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None and value != "" else None
    except (TypeError, ValueError):
        return None


def shot_data(cut_in: int | None, cut_out: int | None, status: str | None) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if cut_in is not None:
        data["frame_in"] = cut_in
    if cut_out is not None:
        data["frame_out"] = cut_out
    if status is not None:
        data["onepiece_status"] = status
    return data


def shot_from(
    project: str, row: Mapping[str, Any], sequences: Mapping[str, tuple[str, str | None]]
) -> Shot:
    data = row.get("data") or {}
    sequence, episode = sequences.get(str(row.get("parent_id")), (None, None))
    return Shot(
        project=project,
        code=str(row["name"]),
        sequence=sequence,
        episode=episode,
        status=data.get("onepiece_status"),
        cut_in=_int(data.get("frame_in")),
        cut_out=_int(data.get("frame_out")),
        description=row.get("description") or None,
    )


def timestamp(value: datetime | None) -> str:
    return (value or datetime.now(UTC)).astimezone(UTC).isoformat()


def version_record(version: Version) -> dict[str, Any]:
    """The preview-file fields for a OnePiece Version."""
    data: dict[str, Any] = {name: getattr(version, name) for name in VERSION_DATA_FIELDS}
    data["metadata"] = dict(version.metadata)
    data["created_at"] = timestamp(version.created_at)
    data["size"] = version.size  # file_size becomes the uploaded preview's size
    data["onepiece"] = True
    return {
        "name": version.code,
        "path": version.path,
        "description": version.description,
        "file_size": version.size,
        "data": data,
    }


def version_from(project: str, row: Mapping[str, Any]) -> Version:
    data = dict(row.get("data") or {})
    created = data.get("created_at") or row.get("created_at")
    created_at = datetime.fromisoformat(created) if created else None
    if created_at is not None and created_at.tzinfo is None:
        created_at = created_at.replace(tzinfo=UTC)  # zou stores UTC without an offset
    return Version(
        project=project,
        code=str(row.get("name") or row["id"]),
        shot=data.get("shot"),
        sequence=data.get("sequence"),
        episode=data.get("episode"),
        asset=data.get("asset"),
        status=data.get("status"),
        path=row.get("path"),
        frame_first=_int(data.get("frame_first")),
        frame_last=_int(data.get("frame_last")),
        frame_range=data.get("frame_range"),
        checksum=data.get("checksum"),
        size=_int(data.get("size", row.get("file_size"))) if data.get("onepiece") else None,
        user=data.get("user"),
        description=row.get("description"),
        created_at=created_at,
        duration_seconds=data.get("duration_seconds"),
        metadata=dict(data.get("metadata") or {}),
    )


def version_changes(row: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """The preview-file update for ``changes``; KeyError names an unknown field."""
    for name in changes:
        if name not in VERSION_UPDATE_FIELDS:
            raise KeyError(name)
    update: dict[str, Any] = {}
    data = dict(row.get("data") or {})
    for name, value in changes.items():
        if name == "path":
            update["path"] = value
        elif name == "description":
            update["description"] = value
        elif name == "size":
            update["file_size"] = value
            data["size"] = value
        else:
            data[name] = dict(value) if name == "metadata" else value
    update["data"] = data
    return update
