"""A Version is delivered whole or not at all.

Both the ZIP delivery and the playlist package group their planned files by
Version and check that every file of a Version is stored before writing any
of them; a file that then fails verification takes the Version's other files
back out. So a package never holds part of a frame sequence, and its
manifest and record list exactly what went out.
"""

from __future__ import annotations

from collections.abc import Iterable

from onepiece.domain.delivery import PlannedFile, Problem
from onepiece.services.delivery.media_source import MediaSource


def by_version(files: Iterable[PlannedFile]) -> list[tuple[str, list[PlannedFile]]]:
    """Planned files grouped by Version, in plan order."""
    groups: dict[str, list[PlannedFile]] = {}
    for planned in files:
        groups.setdefault(planned.version, []).append(planned)
    return list(groups.items())


def missing_media(files: list[PlannedFile], media: MediaSource) -> list[Problem]:
    """One problem per file of the Version that is not stored (empty: the Version is complete)."""
    missing = [planned for planned in files if not media.exists(planned.source)]
    return [
        Problem(
            planned.version, "missing_media", left_out("media not found", files), planned.source
        )
        for planned in missing
    ]


def left_out(reason: str, files: list[PlannedFile]) -> str:
    """The reason, saying the whole Version stayed out when it has more than one file."""
    if len(files) < 2:
        return reason
    return f"{reason}; all {len(files)} files of the version left out"
