"""Guards for where a delivery writes: never into its sources, never over a file."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from onepiece.errors import ValidationError


def check_output(
    output: Path,
    *,
    source_roots: Iterable[Path],
    overwrite: bool,
    extra_outputs: Iterable[Path] = (),
) -> Path:
    """Absolute output path, refused inside a source tree or over an existing file."""
    output = output.expanduser().resolve()
    if output.is_dir():
        raise ValidationError(
            f"output {output} is a folder", hint="name the ZIP file, e.g. --output delivery.zip"
        )
    for root in source_roots:
        root = root.expanduser().resolve()
        if output == root or root in output.parents:
            raise ValidationError(
                f"output {output} is inside the source tree {root}",
                hint="write the package outside the storage and media folders",
            )
    if not overwrite:
        for path in (output, *extra_outputs):
            if path.exists():
                raise ValidationError(
                    f"{path} already exists", hint="pass --overwrite to replace it"
                )
    return output


def manifest_paths(prefix: Path) -> tuple[Path, Path]:
    """``PREFIX.json`` and ``PREFIX.csv`` (a trailing .json/.csv on PREFIX is dropped)."""
    prefix = prefix.expanduser().resolve()
    if prefix.suffix in (".json", ".csv"):
        prefix = prefix.with_suffix("")
    return prefix.with_name(prefix.name + ".json"), prefix.with_name(prefix.name + ".csv")
