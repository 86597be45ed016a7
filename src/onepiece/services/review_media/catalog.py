"""What the review page lists: recent Versions with their stored review media.

Each Version's review record is read from storage (``review_keys`` beside its
media), so the page works on every tracker; a Version without one is listed
without a picture. Media are found the same way for the page's media route.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from onepiece.adapters.storage.base import Storage
from onepiece.adapters.trackers.base import Tracker
from onepiece.domain.entities import Version
from onepiece.domain.review_media import review_keys
from onepiece.errors import EntityNotFound, ObjectNotFound, StorageError, ValidationError
from onepiece.services.dashboard.media_durations import local_media_path
from onepiece.services.review.versions import version_row
from onepiece.services.review_media.rebuild import locate

KINDS = ("thumbnail", "proxy")


def _record(version: Version, storage: Storage, thumbnail_format: str) -> dict[str, Any] | None:
    try:
        target = locate(version, storage)
        keys = review_keys(target.key, version.code, thumbnail_format)
        data = json.loads(storage.get_bytes(target.bucket, keys.record))
    except (ValidationError, ObjectNotFound, StorageError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def review_list(
    tracker: Tracker,
    storage: Storage,
    project: str,
    *,
    status: str | None = None,
    episode: str | None = None,
    shot: str | None = None,
    limit: int = 50,
    thumbnail_format: str = "jpg",
) -> list[dict[str, Any]]:
    """Newest Versions first, each with ``review`` (rate, timecode, frames) or None."""
    versions = tracker.list_versions(
        project,
        status=status,
        episodes=[episode] if episode else None,
        limit=None if shot else limit,
    )
    if shot:
        versions = [v for v in versions if v.shot == shot][:limit]
    rows = []
    for version in versions:
        row = version_row(version)
        record = _record(version, storage, thumbnail_format)
        row["review"] = None
        if record is not None:
            row["review"] = {
                "thumbnail": record.get("thumbnail") is not None,
                "proxy": record.get("proxy") is not None,
                "fps": record.get("fps"),
                "timecode": record.get("timecode"),
                "frames": record.get("frames"),
                "first_frame": record.get("first_frame"),
                "held_frames": record.get("held_frames"),
            }
        rows.append(row)
    return rows


@dataclass(frozen=True)
class MediaObject:
    content_type: str
    path: Path | None  # a local file (served with range requests), else...
    bucket: str
    key: str


def media_object(
    tracker: Tracker, storage: Storage, project: str, code: str, kind: str, thumbnail_format: str
) -> MediaObject:
    """Where Version ``code``'s thumbnail or proxy is; EntityNotFound when it has none."""
    if kind not in KINDS:
        raise ValidationError(f"unknown review media {kind!r}", hint="thumbnail or proxy")
    version = tracker.find_version(project, code)
    if version is None:
        raise EntityNotFound(f"version {code} not found in project {project}")
    record = _record(version, storage, thumbnail_format)
    entry = record.get(kind) if record else None
    if not isinstance(entry, dict) or not entry.get("key"):
        raise EntityNotFound(
            f"version {code} has no review {kind}",
            hint="run `onepiece review rebuild` for it",
        )
    target = locate(version, storage)
    key = str(entry["key"])
    content_type = "video/mp4" if kind == "proxy" else _image_type(key)
    path = local_media_path(storage.uri(target.bucket, key))
    return MediaObject(content_type, path if path and path.is_file() else None, target.bucket, key)


def has_thumbnail(version: Version, storage: Storage, thumbnail_format: str) -> bool:
    """Does Version ``version`` have a stored review thumbnail (its record says so)?"""
    record = _record(version, storage, thumbnail_format)
    return record is not None and isinstance(record.get("thumbnail"), dict)


def _image_type(key: str) -> str:
    return "image/png" if key.lower().endswith(".png") else "image/jpeg"
