"""Show setup: validate a whole CSV of shots and turn it into hierarchy specs.

Pure: text in, specs and row errors out. Every bad row is reported with its
line number, and a file with any error yields no specs, so nothing is
created for an invalid file.

Columns (header names are case-insensitive; spaces and dashes count as ``_``):

- required: ``episode``, ``sequence`` (or ``scene``), ``shot``
- optional: ``asset``, ``cut_in``, ``cut_out``, ``description``, ``status``,
  ``task_template``

``episode`` may be left empty on films without episodes. A shot may appear
on several rows only to list more assets, with the same other values.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from onepiece.domain.entities import ShotSpec
from onepiece.domain.status import STATUS_CODES_HINT, bucket_for
from onepiece.domain.structured_text import csv_problem

REQUIRED_COLUMNS = ("episode", "sequence", "shot")
OPTIONAL_COLUMNS = ("asset", "cut_in", "cut_out", "description", "status", "task_template")
COLUMN_ALIASES = {
    "scene": "sequence",
    "seq": "sequence",
    "cut_first": "cut_in",
    "cut_last": "cut_out",
}
# \Z, not $: "$" would let a trailing newline into a code; no ".." (issue 14).
CODE = re.compile(r"^(?!.*\.\.)[A-Za-z0-9][A-Za-z0-9_.-]{0,63}\Z")


@dataclass(frozen=True)
class RowError:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass(frozen=True)
class SetupTemplate:
    """A named show setup template (docs/cli_walkthroughs.md, "Setup templates").

    ``defaults`` fill empty cells (status, cut_in, cut_out, task_template);
    ``assets`` are linked to every shot; ``episodes``, when given, is the list
    of episodes the show has, and any other episode value is an error.
    """

    name: str
    description: str = ""
    defaults: Mapping[str, Any] = field(default_factory=dict)
    assets: tuple[str, ...] = ()
    episodes: tuple[str, ...] = ()


@dataclass
class ShowSetupPlan:
    specs: list[ShotSpec] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    rows: int = 0

    @property
    def valid(self) -> bool:
        return not self.errors

    @property
    def shots(self) -> list[str]:
        return list(dict.fromkeys(spec.shot for spec in self.specs))


_TEMPLATE_DEFAULTS = {"status", "cut_in", "cut_out", "task_template", "description"}


def template_from_dict(name: str, data: Mapping[str, Any]) -> SetupTemplate:
    """Build a template from parsed YAML/JSON; ValueError says what is wrong."""
    unknown = sorted(set(data) - {"name", "description", "defaults", "assets", "episodes"})
    if unknown:
        raise ValueError(f"unknown template key(s): {', '.join(unknown)}")
    defaults = dict(data.get("defaults") or {})
    bad = sorted(set(defaults) - _TEMPLATE_DEFAULTS)
    if bad:
        raise ValueError(
            f"unknown default(s): {', '.join(bad)}; "
            f"allowed: {', '.join(sorted(_TEMPLATE_DEFAULTS))}"
        )
    for key in ("cut_in", "cut_out"):
        if key in defaults and not isinstance(defaults[key], int):
            raise ValueError(f"defaults.{key} must be a whole number")
    assets = tuple(str(a) for a in data.get("assets") or ())
    episodes = tuple(str(e) for e in data.get("episodes") or ())
    for code in (*assets, *episodes):
        if not CODE.match(code):
            raise ValueError(f"invalid code {code!r} in template")
    return SetupTemplate(
        name=str(data.get("name") or name),
        description=str(data.get("description") or ""),
        defaults=defaults,
        assets=assets,
        episodes=episodes,
    )


def _header(raw: Sequence[str]) -> tuple[list[str], list[RowError]]:
    names = [
        COLUMN_ALIASES.get(n, n) for n in (re.sub(r"[\s-]+", "_", c.strip().lower()) for c in raw)
    ]
    errors = []
    unknown = [n for n in names if n and n not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    if unknown:
        known = ", ".join(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)
        errors.append(
            RowError(1, f"unknown column(s) {', '.join(unknown)}; known columns: {known}")
        )
    missing = [n for n in REQUIRED_COLUMNS if n not in names]
    if missing:
        errors.append(
            RowError(1, f"missing column(s): {', '.join(missing)} (sequence may be called scene)")
        )
    repeated = sorted({n for n in names if n and names.count(n) > 1})
    if repeated:
        errors.append(RowError(1, f"column(s) given twice: {', '.join(repeated)}"))
    return names, errors


def _frame(value: str, column: str, problems: list[str]) -> int | None:
    if not value:
        return None
    try:
        number = int(value)
    except ValueError:
        problems.append(f"{column} {value!r} is not a whole number")
        return None
    if number < 0:
        problems.append(f"{column} {number} is negative")
    return number


def _row_spec(
    cells: Mapping[str, str],
    template: SetupTemplate | None,
    status_map: Mapping[str, str] | None,
) -> tuple[ShotSpec | None, list[str]]:
    problems: list[str] = []
    defaults = template.defaults if template else {}
    for column in ("episode", "sequence", "shot", "asset"):
        value = cells.get(column, "")
        if column in ("sequence", "shot") and not value:
            problems.append(f"{column} is empty")
        elif value and not CODE.match(value):
            problems.append(f"{column} {value!r} is not a valid code (letters, digits, _ . -)")
    episode = cells.get("episode", "")
    if episode and template and template.episodes and episode not in template.episodes:
        problems.append(
            f"unknown episode {episode!r} "
            f"(template {template.name} has {', '.join(template.episodes)})"
        )
    cut_in = _frame(cells.get("cut_in", ""), "cut_in", problems)
    cut_out = _frame(cells.get("cut_out", ""), "cut_out", problems)
    if not cells.get("cut_in"):
        cut_in = defaults.get("cut_in")
    if not cells.get("cut_out"):
        cut_out = defaults.get("cut_out")
    if cut_in is not None and cut_out is not None and cut_out < cut_in:
        problems.append(f"cut_out {cut_out} is before cut_in {cut_in}")
    status = cells.get("status") or defaults.get("status")
    if status and bucket_for(status, status_map) == "unknown":
        problems.append(f"unknown status {status!r} ({STATUS_CODES_HINT})")
    if problems:
        return None, problems
    return (
        ShotSpec(
            episode=episode or None,
            sequence=cells["sequence"],
            shot=cells["shot"],
            asset=cells.get("asset") or None,
            cut_in=cut_in,
            cut_out=cut_out,
            description=cells.get("description") or defaults.get("description") or None,
            status=status or None,
            task_template=cells.get("task_template") or defaults.get("task_template") or None,
        ),
        [],
    )


def _delimiter(text: str) -> str:
    """Comma, unless the header uses none: Excel writes ';' in decimal-comma locales."""
    header = text.split("\n", 1)[0]
    if "," not in header:
        for other in (";", "\t"):
            if other in header:
                return other
    return ","


def parse_show_setup(
    text: str,
    *,
    status_map: Mapping[str, str] | None = None,
    template: SetupTemplate | None = None,
    source: str = "show setup CSV",
) -> ShowSetupPlan:
    """Validate every row of a show setup CSV; specs only when the whole file is valid.

    A file the csv module cannot read on (a cell past its size limit, a NUL
    byte) raises ValidationError naming ``source`` and the line.
    """
    text = text.lstrip("\ufeff")
    reader = csv.reader(io.StringIO(text), delimiter=_delimiter(text))
    try:
        return _parse_rows(reader, status_map, template)
    except csv.Error as exc:
        raise csv_problem(exc, source, reader.line_num) from exc


def _parse_rows(
    reader: Any,
    status_map: Mapping[str, str] | None,
    template: SetupTemplate | None,
) -> ShowSetupPlan:
    plan = ShowSetupPlan()
    try:
        header = next(reader)
    except StopIteration:
        plan.errors.append(
            RowError(1, "empty file: expected a header row (episode, sequence, shot, ...)")
        )
        return plan
    names, header_errors = _header(header)
    if header_errors:
        plan.errors.extend(header_errors)
        return plan
    shots: dict[str, tuple[int, ShotSpec, set[str | None]]] = {}
    sequences: dict[str, tuple[int, str | None]] = {}
    specs: list[ShotSpec] = []
    for values in reader:
        line = reader.line_num
        if not any(v.strip() for v in values):
            continue
        plan.rows += 1
        if len(values) > len(names):
            plan.errors.append(RowError(line, f"{len(values)} values for {len(names)} columns"))
            continue
        cells = {name: value.strip() for name, value in zip(names, values, strict=False)}
        spec, problems = _row_spec(cells, template, status_map)
        if spec is None:
            plan.errors.extend(RowError(line, p) for p in problems)
            continue
        seq_line, seq_episode = sequences.setdefault(spec.sequence or "", (line, spec.episode))
        if seq_episode != spec.episode:
            plan.errors.append(
                RowError(
                    line,
                    f"sequence {spec.sequence} is under episode {seq_episode or '(none)'} "
                    f"on line {seq_line}, not {spec.episode or '(none)'}",
                )
            )
            continue
        if spec.shot in shots:
            first_line, first, assets = shots[spec.shot]
            same = replace(spec, asset=first.asset) == first
            if not same or spec.asset in assets:
                plan.errors.append(
                    RowError(line, f"duplicate shot {spec.shot} (first on line {first_line})")
                )
                continue
            assets.add(spec.asset)
        else:
            shots[spec.shot] = (line, spec, {spec.asset})
        specs.append(spec)
    if plan.rows == 0 and not plan.errors:
        plan.errors.append(RowError(1, "no shots: the file has a header but no rows"))
    if not plan.errors:
        plan.specs = _with_template_assets(specs, template)
    return plan


def _with_template_assets(specs: list[ShotSpec], template: SetupTemplate | None) -> list[ShotSpec]:
    """Add one spec per (shot, template asset) the CSV does not already link."""
    if not template or not template.assets:
        return specs
    out = list(specs)
    linked = {(s.shot, s.asset) for s in specs}
    first: dict[str, ShotSpec] = {}
    for spec in specs:
        first.setdefault(spec.shot, spec)
    for shot, spec in first.items():
        for asset in template.assets:
            if (shot, asset) not in linked:
                out.append(replace(spec, asset=asset))
    return out
