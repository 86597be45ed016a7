"""A playlist's Versions, in playlist order, as the review listings show them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from onepiece.adapters.trackers.base import Tracker
from onepiece.domain.entities import Playlist
from onepiece.services.review.versions import version_row


def playlist_versions(
    tracker: Tracker, project: str, code: str, status_map: Mapping[str, str] | None = None
) -> tuple[Playlist, list[dict[str, Any]]]:
    """The playlist and one row per Version; a Version gone from the tracker says so."""
    playlist = tracker.get_playlist(project, code)  # EntityNotFound names what is missing
    rows: list[dict[str, Any]] = []
    for version_code in playlist.versions:
        version = tracker.find_version(project, version_code)
        if version is None:
            rows.append({"code": version_code, "status": None, "bucket": "missing"})
        else:
            rows.append(version_row(version, dict(status_map or {})))
    return playlist, rows
