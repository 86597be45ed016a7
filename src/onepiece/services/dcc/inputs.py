"""Validating and gathering what a DCC publish packages.

Renders are grouped into frame sequences with fileseq; the OTIO file must be
readable by opentimelineio (imported lazily: it is large).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from onepiece.domain.mhl import HISTORY_FOLDER
from onepiece.domain.safe_paths import safe_component
from onepiece.errors import ValidationError


@dataclass(frozen=True)
class PackageFile:
    source: Path
    relative: str  # path inside the package
    kind: str  # render, preview, editorial, metadata
    frame: int | None = None


@dataclass
class PublishInputs:
    files: list[PackageFile] = field(default_factory=list)
    frame_first: int | None = None
    frame_last: int | None = None
    frame_range: str | None = None


def validate_otio(path: Path) -> None:
    import opentimelineio as otio

    if not path.is_file():
        raise ValidationError(f"OTIO file {path} does not exist")
    try:
        timeline = otio.adapters.read_from_file(str(path))
    except Exception as exc:  # noqa: BLE001 - OTIO raises many unrelated types for bad input
        raise ValidationError(f"OTIO file {path} is not valid: {exc}") from exc
    if timeline is None:
        raise ValidationError(f"OTIO file {path} is empty")


def _renders(folder: Path, inputs: PublishInputs) -> None:
    import fileseq

    if not folder.is_dir():
        raise ValidationError(f"renders folder {folder} does not exist")
    files = sorted(
        p
        for p in folder.rglob("*")
        if p.is_file()
        and not p.name.startswith(".")
        # An ASC MHL history of the renders is continued by the package's, never a render.
        and HISTORY_FOLDER not in p.relative_to(folder).parts[:-1]
    )
    if not files:
        raise ValidationError(f"renders folder {folder} holds no files")
    # Every folder's sequences; the longest one gives the Version's frame range.
    ranges = []
    for sub in sorted({p.parent for p in files}):
        for sequence in fileseq.findSequencesOnDisk(str(sub)):
            frame_set = sequence.frameSet()
            if frame_set is not None and len(frame_set) > 1:
                ranges.append(frame_set)
    for path in files:
        if path.is_symlink() and folder.resolve() not in path.resolve().parents:
            raise ValidationError(f"render {path} links outside the renders folder")
        relative = path.relative_to(folder).as_posix()
        safe = "/".join(
            safe_component(part, what="render file name") for part in relative.split("/")
        )
        inputs.files.append(PackageFile(path, f"renders/{safe}", "render", _frame_of(path)))
    if ranges:
        main = max(ranges, key=len)
        inputs.frame_first, inputs.frame_last = int(main.start()), int(main.end())
        inputs.frame_range = str(main)


def _frame_of(path: Path) -> int | None:
    """The frame number of a sequence member (``sh.1001.exr``), None otherwise."""
    from fileseq.exceptions import ParseException
    from fileseq.filesequence import FileSequence

    try:
        frames = FileSequence(path.name).frameSet()
    except ParseException:
        return None
    return int(frames.start()) if frames is not None and len(frames) == 1 else None


def collect_inputs(renders: Path, previews: Path, otio_file: Path, metadata: Path) -> PublishInputs:
    inputs = PublishInputs()
    _renders(renders.expanduser(), inputs)
    previews = previews.expanduser()
    if not previews.is_file():
        raise ValidationError(f"preview file {previews} does not exist")
    inputs.files.append(
        PackageFile(
            previews, f"previews/{safe_component(previews.name, what='preview')}", "preview"
        )
    )
    validate_otio(otio_file.expanduser())
    inputs.files.append(
        PackageFile(
            otio_file, f"editorial/{safe_component(otio_file.name, what='OTIO')}", "editorial"
        )
    )
    inputs.files.append(PackageFile(metadata, "metadata.json", "metadata"))
    return inputs
