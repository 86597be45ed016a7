"""Review on any tracker: list Versions, set their status, build playlists."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from onepiece.adapters.trackers.base import Tracker
from onepiece.domain.entities import Playlist, Version
from onepiece.domain.safe_paths import check_name
from onepiece.domain.status import STATUS_CODES_HINT, bucket_for
from onepiece.errors import EntityNotFound, ValidationError


def version_row(version: Version, overrides: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "code": version.code,
        "status": version.status,
        "bucket": bucket_for(version.status, overrides),
        "episode": version.episode,
        "sequence": version.sequence,
        "shot": version.shot,
        "frames": version.frame_range
        or (
            f"{version.frame_first}-{version.frame_last}"
            if version.frame_first is not None
            else None
        ),
        "path": version.path,
        "checksum": version.checksum,
        "size": version.size,
    }


def check_versions_exist(tracker: Tracker, project: str, codes: Sequence[str]) -> None:
    tracker.get_project(project)
    missing = [code for code in codes if tracker.find_version(project, code) is None]
    if missing:
        raise EntityNotFound(
            f"no version {', '.join(missing)} in project {project}",
            hint="list them with `onepiece shotgrid versions list --project ...`",
        )


def check_status(status: str, overrides: Mapping[str, str] | None = None) -> str:
    """The status's bucket; a status no bucket knows is refused, as in a show setup CSV."""
    if not status.strip():
        raise ValidationError("empty status")
    bucket = bucket_for(status, overrides)
    if bucket == "unknown":
        raise ValidationError(
            f"unknown status {status!r}",
            hint=f"{STATUS_CODES_HINT}, or map a code of your own in [status_map]",
        )
    return bucket


def set_status(
    tracker: Tracker,
    project: str,
    codes: Sequence[str],
    status: str,
    overrides: Mapping[str, str] | None = None,
) -> list[Version]:
    """Set the raw status of each version; all codes must exist (nothing changes otherwise)."""
    if not codes:
        raise ValidationError("name at least one version code")
    check_status(status, overrides)
    unique = list(dict.fromkeys(codes))
    check_versions_exist(tracker, project, unique)
    return tracker.update_versions(project, {code: {"status": status} for code in unique})


def create_playlist(
    tracker: Tracker,
    project: str,
    code: str,
    description: str | None,
    versions: Sequence[str] = (),
    *,
    dry_run: bool = False,
) -> tuple[Playlist, bool]:
    if not code.strip():
        raise ValidationError("empty playlist name")
    check_name(code, "playlist")  # a package folder and manifest are named after it
    tracker.get_project(project)
    if versions:
        check_versions_exist(tracker, project, versions)
    if dry_run:
        try:
            existing = tracker.get_playlist(project, code)
        except EntityNotFound:
            return Playlist(project, code, description, _merged((), versions)), True
        return _with(existing, versions), False
    playlist, created = tracker.create_playlist(project, code, description)
    if versions:
        playlist = tracker.add_to_playlist(project, code, list(dict.fromkeys(versions)))
    return playlist, created


def add_to_playlist(
    tracker: Tracker, project: str, code: str, versions: Sequence[str], *, dry_run: bool = False
) -> Playlist:
    if not versions:
        raise ValidationError("name at least one version code to add")
    playlist = tracker.get_playlist(project, code)
    check_versions_exist(tracker, project, versions)
    if dry_run:
        return _with(playlist, versions)
    return tracker.add_to_playlist(project, code, list(dict.fromkeys(versions)))


def _merged(present: Sequence[str], added: Sequence[str]) -> tuple[str, ...]:
    """What adding gives: the playlist's order, then new codes once each."""
    return tuple(dict.fromkeys([*present, *added]))


def _with(playlist: Playlist, added: Sequence[str]) -> Playlist:
    """The playlist as it would be after adding (for --dry-run)."""
    return replace(playlist, versions=_merged(playlist.versions, added))


def playlist_row(playlist: Playlist) -> dict[str, Any]:
    return {
        "code": playlist.code,
        "description": playlist.description,
        "versions": list(playlist.versions),
        "created_at": playlist.created_at.isoformat() if playlist.created_at else None,
    }
