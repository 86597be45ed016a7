"""Conversions between local tracker rows and the domain entities.

Timestamps are stored as UTC text in one fixed-width format
(``2024-05-01T10:00:00.000000Z``) so that ordering the text orders the times.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from onepiece.domain.entities import Asset, Episode, Playlist, Project, PublishedFile, Shot, Version
from onepiece.domain.entities import Sequence as SequenceEntity
from onepiece.errors import EntityNotFound, ValidationError

VERSION_COLUMNS = (
    "project",
    "code",
    "shot",
    "sequence",
    "episode",
    "asset",
    "status",
    "path",
    "frame_first",
    "frame_last",
    "frame_range",
    "checksum",
    "size",
    "user",
    "description",
    "created_at",
    "duration_seconds",
    "metadata",
)
VERSION_SELECT = ", ".join(f'"{column}"' for column in VERSION_COLUMNS)

# Field -> accepted Python types for update_versions (bool is refused for ints).
UPDATABLE_VERSION_FIELDS: dict[str, tuple[type, ...]] = {
    "status": (str,),
    "description": (str,),
    "path": (str,),
    "checksum": (str,),
    "size": (int,),
    "frame_first": (int,),
    "frame_last": (int,),
    "frame_range": (str,),
    "metadata": (dict,),
    "duration_seconds": (int, float),
    "user": (str,),
}


def utc_text(moment: datetime | None = None) -> str:
    """Fixed-width UTC text; naive datetimes are taken as UTC."""
    moment = moment or datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_utc(text: str) -> datetime:
    return datetime.fromisoformat(text)


def metadata_text(metadata: Mapping[str, Any], code: str) -> str:
    if not metadata:
        return "{}"
    try:
        return json.dumps(dict(metadata), sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise ValidationError(
            f"metadata of version {code} cannot be stored as JSON: {exc}",
            hint="use strings, numbers, booleans, lists and objects only",
        ) from exc


def version_params(version: Version, created_at: str) -> tuple[Any, ...]:
    # Plain attribute reads: this runs once per row of a bulk create.
    v = version
    return (
        v.project,
        v.code,
        v.shot,
        v.sequence,
        v.episode,
        v.asset,
        v.status,
        v.path,
        v.frame_first,
        v.frame_last,
        v.frame_range,
        v.checksum,
        v.size,
        v.user,
        v.description,
        created_at,
        v.duration_seconds,
        metadata_text(v.metadata, v.code),
    )


def with_created_at(version: Version, created_at: str) -> Version:
    """``version`` with its stored timestamp (cheaper than dataclasses.replace in bulk)."""
    return Version(**{**vars(version), "created_at": parse_utc(created_at)})


def update_assignments(code: str, fields: Mapping[str, Any]) -> tuple[str, list[Any]]:
    """``SET`` clause and parameters for one version update; validates fields."""
    unknown = sorted(set(fields) - set(UPDATABLE_VERSION_FIELDS))
    if unknown:
        raise ValidationError(
            f"cannot update {', '.join(unknown)} of version {code}",
            hint=f"updatable fields: {', '.join(sorted(UPDATABLE_VERSION_FIELDS))}",
            context={"fields": unknown},
        )
    assignments: list[str] = []
    params: list[Any] = []
    for name, value in fields.items():
        accepted = UPDATABLE_VERSION_FIELDS[name]
        if value is not None and (isinstance(value, bool) or not isinstance(value, accepted)):
            expected = " or ".join(kind.__name__ for kind in accepted)
            raise ValidationError(
                f"{name} of version {code} must be {expected}, not {type(value).__name__}"
            )
        if name == "metadata":
            value = metadata_text(value if isinstance(value, dict) else {}, code)
        assignments.append(f'"{name}" = ?')
        params.append(value)
    return ", ".join(assignments), params


def version_from_row(row: sqlite3.Row) -> Version:
    values = {column: row[column] for column in VERSION_COLUMNS}
    values["created_at"] = parse_utc(row["created_at"])
    values["metadata"] = json.loads(row["metadata"])
    return Version(**values)


def project_from_row(row: sqlite3.Row) -> Project:
    return Project(code=row["code"], name=row["name"], archived=bool(row["archived"]))


def episode_from_row(row: sqlite3.Row) -> Episode:
    return Episode(project=row["project"], code=row["code"])


def sequence_from_row(row: sqlite3.Row) -> SequenceEntity:
    return SequenceEntity(project=row["project"], code=row["code"], episode=row["episode"])


def shot_from_row(row: sqlite3.Row) -> Shot:
    return Shot(
        project=row["project"],
        code=row["code"],
        sequence=row["sequence"],
        episode=row["episode"],
        status=row["status"],
        cut_in=row["cut_in"],
        cut_out=row["cut_out"],
        description=row["description"],
    )


def asset_from_row(row: sqlite3.Row) -> Asset:
    return Asset(
        project=row["project"],
        code=row["code"],
        asset_type=row["asset_type"],
        description=row["description"],
    )


def playlist_from_row(row: sqlite3.Row, versions: Sequence[str]) -> Playlist:
    return Playlist(
        project=row["project"],
        code=row["code"],
        description=row["description"],
        versions=tuple(versions),
        created_at=parse_utc(row["created_at"]),
    )


def published_file_from_row(row: sqlite3.Row) -> PublishedFile:
    return PublishedFile(
        project=row["project"],
        code=row["code"],
        path=row["path"],
        version=row["version"],
        file_type=row["file_type"],
        checksum=row["checksum"],
        size=row["size"],
    )


def unique_in_order(values: Iterable[str | None]) -> Iterator[str]:
    """Non-empty values, first occurrence only, in the order given."""
    seen: set[str] = set()
    for value in values:
        if value and value not in seen:
            seen.add(value)
            yield value


def json_list(values: Iterable[Any]) -> str:
    """A parameter for ``IN (SELECT value FROM json_each(?))``: no bound-variable limit."""
    return json.dumps(list(values))


def name_some(codes: Sequence[str], limit: int = 10) -> str:
    """``A, B, C`` or ``A, B, ... and 12 more`` for error messages."""
    shown = ", ".join(codes[:limit])
    return shown if len(codes) <= limit else f"{shown} and {len(codes) - limit} more"


def require_project(conn: sqlite3.Connection, project: str) -> None:
    if conn.execute("SELECT 1 FROM projects WHERE code = ?", (project,)).fetchone() is None:
        raise missing_project(conn, project)


def missing_project(conn: sqlite3.Connection, project: str) -> EntityNotFound:
    """The one "no such project" error, naming the projects that do exist (typos show)."""
    known = [row[0] for row in conn.execute("SELECT code FROM projects ORDER BY code")]
    where = f"existing projects: {name_some(known)}" if known else "no projects yet"
    return EntityNotFound(
        f"project {project} does not exist in the local tracker",
        hint=f"{where}; `onepiece ingest` or `onepiece shotgrid show-setup` creates one",
        context={"project": project},
    )
