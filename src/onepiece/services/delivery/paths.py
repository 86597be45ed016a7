"""Guards for what a delivery is asked: known episodes; where it writes: never into its
sources, never over a file, never where it cannot write (checked before anything is written).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from onepiece.atomicio import check_writable
from onepiece.errors import ValidationError

if TYPE_CHECKING:
    from onepiece.adapters.trackers.base import Tracker


def check_episodes(tracker: Tracker, project: str, episodes: Iterable[str]) -> None:
    """Refuse episode codes the project does not have, naming every one of them.

    An episode is known when the tracker has it, or when a Version names it (a
    tracker may hold Versions whose episode was never created as an entity).
    """
    known = {episode.code for episode in tracker.list_episodes(project)}
    unknown = [
        code
        for code in dict.fromkeys(episodes)
        if code not in known and not tracker.list_versions(project, episodes=[code], limit=1)
    ]
    if unknown:
        listed = ", ".join(sorted(known))
        raise ValidationError(
            f"unknown episode{'s' if len(unknown) > 1 else ''} in {project}: {', '.join(unknown)}",
            hint=f"episodes of {project}: {listed}"
            if listed
            else "episode codes are case-sensitive",
            context={"episodes": unknown},
        )


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
    for path in (output, *extra_outputs):
        check_writable(path)
    return output


def manifest_paths(prefix: Path) -> tuple[Path, Path]:
    """``PREFIX.json`` and ``PREFIX.csv`` (a trailing .json/.csv on PREFIX is dropped)."""
    prefix = prefix.expanduser().resolve()
    if prefix.suffix in (".json", ".csv"):
        prefix = prefix.with_suffix("")
    return prefix.with_name(prefix.name + ".json"), prefix.with_name(prefix.name + ".csv")
