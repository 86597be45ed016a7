"""Parse JSON, YAML and CSV that users hand the CLI, with bounds a hostile file cannot pass.

Every file OnePiece reads from a user (manifests, show-setup CSVs, setup
templates, project trees, publish metadata) is parsed through here, so a
file built to exhaust the parser is refused as bad input (ValidationError,
exit 4) naming the file and line, instead of ending in a RecursionError or a
MemoryError. The bounds (docs/cli_walkthroughs.md, "Input limits"):

- JSON and YAML: at most ``MAX_DEPTH`` levels of nesting; JSON numbers at
  most ``MAX_NUMBER_CHARS`` characters long;
- YAML: aliases may not expand the document past ``MAX_YAML_NODES`` nodes
  (an "alias bomb" is a few lines that expand to billions), and may not
  refer to themselves;
- CSV: one cell at most ``MAX_CSV_CELL`` characters (Python's csv default limit).

Pure: text in, data or ValidationError out.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from onepiece.errors import ValidationError

MAX_DEPTH = 64
MAX_NUMBER_CHARS = 100
MAX_YAML_NODES = 1_000_000
MAX_CSV_CELL = 128 * 1024

# Strings are skipped whole so brackets and digits inside them do not count. An
# unterminated string runs to the end (json.loads then says where), so no text
# makes the scan restart at every quote (quadratic on '"\\"\\"\\"...').
_JSON_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*+(?:"|\\?\Z)|[\[\]{}]|[-+0-9.eE]+')


def line_at(text: str, offset: int) -> int:
    """1-based line number of ``offset`` in ``text``."""
    return text.count("\n", 0, offset) + 1


def check_json(text: str, source: str) -> None:
    """Refuse nesting deeper than MAX_DEPTH and over-long numbers before parsing."""
    depth = 0
    for match in _JSON_TOKENS.finditer(text):
        token = match.group()
        if token in ("[", "{"):
            depth += 1
            if depth > MAX_DEPTH:
                raise ValidationError(
                    f"{source} line {line_at(text, match.start())}: "
                    f"nested deeper than {MAX_DEPTH} levels",
                    hint="flatten the file; OnePiece's files are only a few levels deep",
                )
        elif token in ("]", "}"):
            depth -= 1
        elif token[0] != '"' and len(token) > MAX_NUMBER_CHARS:
            raise ValidationError(
                f"{source} line {line_at(text, match.start())}: "
                f"a number of {len(token)} characters (at most {MAX_NUMBER_CHARS})",
                hint="write numbers as plain values, or quote them as text",
            )


def loads_json(text: str, source: str, *, loads: Callable[[str], Any] | None = None) -> Any:
    """Parse JSON within the bounds; ``loads`` replaces json.loads (e.g. to keep lines)."""
    check_json(text, source)
    try:
        return (loads or json.loads)(text)
    except json.JSONDecodeError as exc:
        raise ValidationError(
            f"{source} is not valid JSON: {exc.msg} at line {exc.lineno}"
        ) from exc
    except (ValueError, RecursionError) as exc:  # bounds already checked: belt and braces
        raise ValidationError(f"{source} is not valid JSON: {exc}") from exc


def loads_yaml(text: str, source: str) -> Any:
    """Parse one YAML document (safe tags only) within the bounds."""
    import yaml

    loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        # Bounds first, on the event stream: libyaml's composer recurses in C and
        # would crash on deep nesting, and aliases are expanded only later.
        _check_yaml_events(yaml.parse(text, Loader=loader), source)
        return yaml.load(text, Loader=loader)  # noqa: S506 (a SafeLoader)
    except yaml.YAMLError as fast_exc:
        exc = _python_parser_error(text, source) or fast_exc
        # PyYAML's own text spans several lines with a caret diagram: keep the gist.
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ValidationError(f"{source}{where} is not valid YAML: {problem}") from exc


def _python_parser_error(text: str, source: str) -> Any:
    """PyYAML's own wording of a syntax error (clearer than libyaml's); its parser is
    iterative, so a bad file cannot exhaust the stack here."""
    import yaml

    try:
        _check_yaml_events(yaml.parse(text, Loader=yaml.SafeLoader), source)
    except yaml.YAMLError as exc:
        return exc
    return None


def _check_yaml_events(events: Iterator[Any], source: str) -> None:
    """Count the values the document expands to, an aliased value once per use.

    One pass over the parser's events: an anchored collection's expanded size
    is remembered when it closes, so the count costs nothing however large the
    expansion would be.
    """
    import yaml

    def refuse(event: Any, why: str) -> ValidationError:
        return ValidationError(
            f"{source}:{event.start_mark.line + 1}: {why}",
            hint="write the values out, or use fewer aliases (*name)",
        )

    anchors: dict[str, int] = {}
    frames: list[tuple[str | None, int]] = [(None, 0)]  # (anchor, size so far)
    for event in events:
        if isinstance(event, yaml.CollectionStartEvent):
            if len(frames) > MAX_DEPTH:
                raise refuse(event, f"nested deeper than {MAX_DEPTH} levels")
            frames.append((event.anchor, 1))
            continue
        if isinstance(event, yaml.CollectionEndEvent):
            anchor, grown = frames.pop()
            if anchor is not None:
                anchors[anchor] = grown
        elif isinstance(event, yaml.ScalarEvent):
            grown = 1
            if event.anchor is not None:
                anchors[event.anchor] = 1
        elif isinstance(event, yaml.AliasEvent):
            if event.anchor in (anchor for anchor, _ in frames):
                raise refuse(event, f"alias *{event.anchor} refers to a value that contains it")
            grown = anchors.get(event.anchor or "", 1)  # an unknown anchor: the loader says so
        else:
            continue
        anchor, total = frames[-1]
        frames[-1] = (anchor, total + grown)
        if total + grown > MAX_YAML_NODES:
            raise refuse(event, f"aliases expand the document past {MAX_YAML_NODES:,} values")


def csv_problem(exc: csv.Error, source: str, line: int) -> ValidationError:
    """A csv.Error as bad input naming the file and line."""
    message = str(exc)
    if "field larger than field limit" in message:
        # The csv module's limit (MAX_CSV_CELL unless something in-process changed it).
        message = f"a cell is larger than {csv.field_size_limit() // 1024} KiB"
    return ValidationError(f"{source} is not valid CSV at line {line}: {message}")
