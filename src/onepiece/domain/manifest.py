"""Delivery manifests: CSV with a header row, or JSON as ``{"files": [...]}``.

Fields: show, episode, scene, shot, asset, version, source_path,
delivery_path, checksum. ``source_path`` and ``checksum`` may be left empty;
other columns are kept as metadata that enriches the Version. Checksums are
written ``md5:...``, ``sha256:...`` or ``xxh3:...``.

Parsing is pure and never stops at the first bad row: every problem is
reported with where it is (CSV line, or JSON entry and line) so a vendor can
fix the whole manifest in one go. Only a manifest that cannot be read as a
table at all (malformed JSON, missing columns) raises ValidationError.
"""

from __future__ import annotations

import bisect
import csv
import io
import json
import json.decoder
import json.scanner
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from onepiece.domain.checksums import parse_checksum
from onepiece.domain.safe_paths import check_name
from onepiece.domain.structured_text import csv_problem, loads_json
from onepiece.errors import ValidationError

MANIFEST_FIELDS = (
    "show",
    "episode",
    "scene",
    "shot",
    "asset",
    "version",
    "source_path",
    "delivery_path",
    "checksum",
)
NAME_KEYS = ("show", "episode", "scene", "shot", "asset")
REQUIRED_FIELDS = ("show", "episode", "scene", "shot", "asset", "version", "delivery_path")
ManifestFormat = Literal["csv", "json"]
_ERROR = "\x00error"  # row key carrying a structural problem (never a real column name)


@dataclass(frozen=True)
class ManifestEntry:
    where: str  # "line 5" or "files[3] (line 12)"
    line: int
    delivery_path: str  # normalised: relative, '/'-separated, no '..'
    show: str
    episode: str
    scene: str
    shot: str
    asset: str
    version: int
    source_path: str | None = None
    checksum: str | None = None  # normalised "algo:hexdigest"
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ManifestProblem:
    where: str
    line: int
    delivery_path: str | None  # normalised when it could be, else as written
    reason: str


@dataclass
class Manifest:
    name: str
    entries: dict[str, ManifestEntry] = field(default_factory=dict)  # by delivery_path
    problems: list[ManifestProblem] = field(default_factory=list)


def detect_format(filename: str, text: str) -> ManifestFormat:
    if filename.lower().endswith(".json"):
        return "json"
    if filename.lower().endswith(".csv"):
        return "csv"
    return "json" if text.lstrip().startswith("{") else "csv"


def normalize_delivery_path(raw: str) -> str:
    """A safe relative path inside the delivery, or ValidationError saying why not."""
    value = raw.strip().replace("\\", "/")
    if not value:
        raise ValidationError("delivery_path is empty")
    if "\x00" in value:
        raise ValidationError("delivery_path contains a NUL character")
    if value.startswith("/") or re.match(r"^[A-Za-z]:", value):
        raise ValidationError(f"delivery_path {raw!r} is absolute: write it relative to the folder")
    parts = [part for part in value.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise ValidationError(f"delivery_path {raw!r} leaves the delivery folder ('..')")
    if not parts:
        raise ValidationError(f"delivery_path {raw!r} names no file")
    return "/".join(parts)


def parse_version(value: str) -> int:
    text = value.strip()
    digits = text[1:] if text[:1] in ("v", "V") else text
    if not digits.isdigit() or int(digits) < 1:
        raise ValidationError(f"bad version number {value!r}: write 4, 004 or v004")
    return int(digits)


def parse_manifest(
    text: str,
    fmt: ManifestFormat,
    *,
    name: str = "manifest",
    show_code: str | None = None,
    path: str | None = None,
) -> Manifest:
    """Rows and problems; ``path`` (default ``name``) names the file in whole-file errors."""
    where = path or name
    rows = _csv_rows(text, where) if fmt == "csv" else _json_rows(text, where)
    manifest = Manifest(name)
    first_seen: dict[str, str] = {}
    duplicates: set[str] = set()
    for where, line, row in rows:
        try:
            entry = _entry(where, line, row, show_code)
        except ValidationError as exc:
            raw_path = row.get("delivery_path") or None
            try:
                path = normalize_delivery_path(raw_path) if raw_path else None
            except ValidationError:
                path = raw_path
            manifest.problems.append(ManifestProblem(where, line, path, exc.message))
            continue
        path = entry.delivery_path
        if path in first_seen:
            duplicates.add(path)
            manifest.problems.append(
                ManifestProblem(where, line, path, f"duplicate entry (first at {first_seen[path]})")
            )
            continue
        first_seen[path] = where
        manifest.entries[path] = entry
    # A file listed twice is ambiguous (which checksum is right?): neither row counts.
    for path in duplicates:
        first = manifest.entries.pop(path)
        manifest.problems.append(
            ManifestProblem(first.where, first.line, path, "listed more than once")
        )
    manifest.problems.sort(key=lambda p: p.line)
    return manifest


def _entry(where: str, line: int, row: Mapping[str, str], show_code: str | None) -> ManifestEntry:
    if _ERROR in row:
        raise ValidationError(row[_ERROR])
    missing = [key for key in REQUIRED_FIELDS if not (row.get(key) or "").strip()]
    if missing:
        raise ValidationError(f"missing values for {', '.join(missing)}")
    values = {key: row[key].strip() for key in REQUIRED_FIELDS}
    delivery_path = normalize_delivery_path(values["delivery_path"])
    for key in NAME_KEYS:  # they become tracker codes and storage keys
        check_name(values[key], key)
    version = parse_version(values["version"])
    if show_code and values["show"] != show_code:  # case-sensitive, as in file names
        raise ValidationError(f"show {values['show']!r} does not match the show code {show_code!r}")
    checksum = None
    if (raw := (row.get("checksum") or "").strip()) != "":
        algorithm, digest = parse_checksum(raw)
        checksum = f"{algorithm}:{digest}"
    extra = {k: v for k, v in row.items() if k not in MANIFEST_FIELDS and v}
    return ManifestEntry(
        where=where,
        line=line,
        delivery_path=delivery_path,
        show=values["show"],
        episode=values["episode"],
        scene=values["scene"],
        shot=values["shot"],
        asset=values["asset"],
        version=version,
        source_path=(row.get("source_path") or "").strip() or None,
        checksum=checksum,
        extra=extra,
    )


def _csv_rows(text: str, name: str) -> list[tuple[str, int, dict[str, str]]]:
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise ValidationError(f"manifest {name} is empty") from None
    except csv.Error as exc:
        raise csv_problem(exc, f"manifest {name}", 1) from exc
    columns = [column.strip().lower() for column in header]
    missing = [key for key in REQUIRED_FIELDS if key not in columns]
    if missing:
        raise ValidationError(
            f"manifest {name} is missing columns: {', '.join(missing)}",
            hint=f"the header row must name {', '.join(MANIFEST_FIELDS)}",
        )
    rows: list[tuple[str, int, dict[str, str]]] = []
    start = reader.line_num + 1
    try:
        for values in reader:
            line = start
            start = reader.line_num + 1
            if not any(value.strip() for value in values):
                continue
            row = dict(zip(columns, values, strict=False))
            if len(values) > len(columns):
                row[_ERROR] = (
                    f"{len(values) - len(columns)} more values than the header has columns"
                )
            rows.append((f"line {line}", line, row))
    except csv.Error as exc:
        raise csv_problem(exc, f"manifest {name}", start) from exc
    return rows


class _Located(dict[str, Any]):
    line = 0


def _json_rows(text: str, name: str) -> list[tuple[str, int, dict[str, str]]]:
    data = loads_json(text, f"manifest {name}", loads=_load_with_lines)
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(files, list):
        raise ValidationError(
            f'manifest {name} must be a JSON object with a "files" list',
            hint='write {"files": [{"show": ..., "delivery_path": ...}, ...]}',
        )
    rows: list[tuple[str, int, dict[str, str]]] = []
    for index, item in enumerate(files):
        line = getattr(item, "line", 0)
        where = f"files[{index}] (line {line})"
        if not isinstance(item, dict):
            rows.append((where, line, {_ERROR: "entry is not an object"}))
            continue
        rows.append((where, line, {str(k): _text(v) for k, v in item.items()}))
    return rows


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return str(value)
    return json.dumps(value, sort_keys=True)


def _load_with_lines(text: str) -> Any:
    """json.loads that remembers the line each object starts on (pure-Python scanner)."""
    newlines = [i for i, char in enumerate(text) if char == "\n"]
    # The C scanner has no hook for positions; the stdlib's Python scanner does.
    json_object: Any = getattr(json.decoder, "JSONObject")  # noqa: B009
    make_scanner: Any = getattr(json.scanner, "py_make_scanner")  # noqa: B009
    decoder: Any = json.JSONDecoder()

    def parse_object(s_and_end: tuple[str, int], *args: Any) -> tuple[Any, int]:
        obj, end = json_object(s_and_end, *args)
        located = _Located(obj)
        located.line = bisect.bisect_left(newlines, s_and_end[1]) + 1
        return located, end

    decoder.parse_object = parse_object
    decoder.scan_once = make_scanner(decoder)
    return decoder.decode(text)
