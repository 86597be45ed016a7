"""Reading an upstream manifest (what a vendor or client sent with the media).

The same fields as an ingest manifest, CSV or JSON (``{"files": [...]}``):
show, episode, scene, shot, asset, version, source_path, delivery_path,
checksum. Rows are keyed by file name so a delivery can prefer their data.
"""

from __future__ import annotations

import csv
import io
from pathlib import PurePosixPath
from typing import Any

from onepiece.domain.checksums import format_checksum, parse_checksum
from onepiece.domain.delivery import UpstreamEntry
from onepiece.domain.structured_text import csv_problem, loads_json
from onepiece.errors import ValidationError

_NAME_FIELDS = ("delivery_path", "source_path")


def _rows(text: str, fmt: str) -> list[dict[str, Any]]:
    if fmt == "json":
        data = loads_json(text, "upstream manifest")
        files = data.get("files") if isinstance(data, dict) else None
        if not isinstance(files, list) or not all(isinstance(r, dict) for r in files):
            raise ValidationError('upstream JSON manifest must be {"files": [{...}, ...]}')
        return files
    if fmt == "csv":
        reader = csv.DictReader(io.StringIO(text))
        try:
            if not reader.fieldnames or not set(_NAME_FIELDS) & set(reader.fieldnames):
                raise ValidationError(
                    "upstream CSV manifest has no delivery_path or source_path column"
                )
            return list(reader)
        except csv.Error as exc:
            raise csv_problem(exc, "upstream manifest", reader.reader.line_num) from exc
    raise ValidationError(f"unknown manifest format {fmt!r}", hint="use .csv or .json")


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def parse_upstream_manifest(text: str, fmt: str) -> dict[str, UpstreamEntry]:
    """Rows by file name. Raises ValidationError on malformed input or duplicates."""
    entries: dict[str, UpstreamEntry] = {}
    for number, row in enumerate(_rows(text, fmt), start=1):
        path = _text(row.get("delivery_path")) or _text(row.get("source_path"))
        if path is None:
            raise ValidationError(f"upstream manifest row {number} names no file")
        name = PurePosixPath(path.replace("\\", "/")).name
        checksum = _text(row.get("checksum"))
        if checksum is not None:
            try:
                checksum = format_checksum(*parse_checksum(checksum))
            except ValidationError as exc:
                raise ValidationError(f"upstream manifest row {number}: {exc.message}") from exc
        if name in entries:
            raise ValidationError(f"upstream manifest lists {name!r} twice (row {number})")
        entries[name] = UpstreamEntry(
            file_name=name,
            delivery_path=_text(row.get("delivery_path")),
            checksum=checksum,
            episode=_text(row.get("episode")),
            sequence=_text(row.get("scene")) or _text(row.get("sequence")),
            shot=_text(row.get("shot")),
        )
    return entries
