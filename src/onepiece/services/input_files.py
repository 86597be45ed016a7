"""Read a file a user hands the CLI: bounded in size, decoded, parsed within bounds.

Manifests, show-setup CSVs, setup templates, project trees and publish
metadata all come through ``read_text``; ``load_structured`` parses JSON or
YAML with the bounds of domain.structured_text. Every failure is a
ValidationError (exit 4) naming the file, never an OSError or a parser crash.
Limits are documented in docs/cli_walkthroughs.md ("Input limits").
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from onepiece.domain.structured_text import loads_json, loads_yaml
from onepiece.errors import ValidationError

MiB = 1024 * 1024
MAX_INPUT_BYTES = 64 * MiB  # manifests and show-setup CSVs (a row per file or shot)
MAX_TREE_BYTES = 16 * MiB  # project trees: ~1.5 MiB for 10,000 shots
MAX_TEMPLATE_BYTES = 1 * MiB  # show-setup templates are a few lines


def read_text(
    path: Path, what: str, *, max_bytes: int = MAX_INPUT_BYTES, encoding: str = "utf-8"
) -> str:
    """The file's text, or ValidationError naming ``what`` and the file."""
    try:
        with path.open("rb") as stream:
            # Read one byte past the limit: st_size lies for pipes and /proc files.
            data = stream.read(max_bytes + 1)
    except FileNotFoundError:
        raise ValidationError(f"{what} {path} does not exist") from None
    except IsADirectoryError:
        raise ValidationError(f"{what} {path} is a folder, not a file") from None
    except OSError as exc:
        raise ValidationError(f"cannot read {what} {path}: {exc.strerror or exc}") from exc
    if len(data) > max_bytes:
        raise ValidationError(
            f"{what} {path} is larger than {_size(max_bytes)}",
            hint="split it, or check it is the right file",
        )
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        raise ValidationError(f"{what} {path} is not UTF-8 text", hint="save it as UTF-8") from None


def load_structured(path: Path, what: str, *, max_bytes: int = MAX_INPUT_BYTES) -> Any:
    """Parse JSON (``.json``) or YAML (anything else) within the bounds."""
    text = read_text(path, what, max_bytes=max_bytes)
    if path.suffix.lower() == ".json":
        return loads_json(text, str(path))
    return loads_yaml(text, str(path))


def _size(count: int) -> str:
    return f"{count // MiB} MiB" if count >= MiB else f"{count // 1024} KiB"
