"""Build the OpenCue job spec (Cuebot's "cjsl" XML) for one OnePiece submission.

pyoutline normally writes this XML; it is a large dependency for what is one
job with one layer, so we write the spec ourselves following Cuebot's DTD
(``cuebot/src/main/resources/public/dtd/cjsl-1.13.dtd``). Pure: no pycue, no I/O.

Cuebot's naming rules (``JobSpec.conformName``): show, shot and layer names
are at least three characters of letters, digits, ``_`` or ``.``; the job
name becomes ``<show>-<shot>-<user>_<suffix>``. Jobs are refused for root.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePath
from xml.etree import ElementTree

from fileseq.frameset import FrameSet

from onepiece.adapters.farms.opencue.command import command_for
from onepiece.domain.render import JobRequest
from onepiece.errors import JobRejected

SPEC_VERSION = "1.13"
DOCTYPE = (
    '<!DOCTYPE spec PUBLIC "SPI Cue  Specification Language" '
    f'"http://localhost:8080/spcue/dtd/cjsl-{SPEC_VERSION}.dtd">'
)
MAX_FRAMES = 100_000  # Cuebot refuses larger jobs (JobSpec.MAX_FRAMES)

_RANGE_ITEM = re.compile(r"^-?\d+(?:--?\d+(?:[xy:]-?\d+)?)?$")


@dataclass(frozen=True)
class CueJobSpec:
    show: str
    shot: str
    user: str
    job_name: str
    layer_name: str
    command: str
    frames: str
    chunk_size: int
    priority: int
    facility: str | None = None
    uid: int | None = None


def conform_name(raw: str, *, filler: str) -> str:
    """A Cuebot-acceptable name: lower case ``[a-z0-9_.]``, three characters or more."""
    name = re.sub(r"[^a-z0-9_.]+", "_", raw.lower())
    name = re.sub(r"_{2,}", "_", name).strip("_.")
    if len(name) < 3:
        name = f"{name}_{filler}".strip("_")
    return name


def frame_range(frames: str) -> str:
    """Validate a frame set in OpenCue's syntax (``1-100,120-130x2``); return it compact."""
    compact = "".join(frames.split())
    items = compact.split(",")
    if not compact or not all(_RANGE_ITEM.match(item) for item in items):
        raise JobRejected(
            f"invalid frame range {frames!r} for OpenCue",
            hint="use whole frames like 1-100, 1-100x2 or 1-10,20-30",
        )
    count = len(FrameSet(compact))
    if count > MAX_FRAMES:
        raise JobRejected(
            f"{count} frames is more than OpenCue accepts in one job ({MAX_FRAMES})",
            hint="split the range into several submissions",
        )
    return compact


def spec_for_request(
    request: JobRequest,
    *,
    show: str,
    user: str,
    token: str,
    templates: dict[str, str],
    facility: str | None = None,
    uid: int | None = None,
) -> CueJobSpec:
    """Everything the spec needs, with names conformed the way Cuebot wants them.

    ``token`` keeps job names unique: Cuebot refuses a second live job with
    the same name, and the same scene is often submitted twice.
    """
    if user == "root" or uid == 0:
        raise JobRejected(
            "OpenCue refuses jobs submitted as root",
            hint="submit as a regular user (set the job's user)",
        )
    if request.chunk_size < 1:
        raise JobRejected(f"chunk size must be at least 1, not {request.chunk_size}")
    stem = PurePath(request.scene).stem or "scene"
    return CueJobSpec(
        show=show,
        shot=conform_name(stem, filler="shot"),
        user=user,
        job_name=conform_name(f"{request.dcc}_{token}", filler="job"),
        layer_name=conform_name(request.dcc, filler="render"),
        command=command_for(request, templates),
        frames=frame_range(request.frames),
        chunk_size=request.chunk_size,
        priority=request.priority,
        facility=facility,
        uid=uid,
    )


def _text(parent: ElementTree.Element, tag: str, value: object) -> None:
    ElementTree.SubElement(parent, tag).text = str(value)


def build_spec(spec: CueJobSpec) -> str:
    """The XML document Cuebot's ``LaunchSpec``/``LaunchSpecAndWait`` takes."""
    root = ElementTree.Element("spec")
    if spec.facility:
        _text(root, "facility", spec.facility)
    _text(root, "show", spec.show)
    _text(root, "shot", spec.shot)
    _text(root, "user", spec.user)
    if spec.uid is not None:
        _text(root, "uid", spec.uid)
    job = ElementTree.SubElement(root, "job", name=spec.job_name)
    _text(job, "paused", "False")
    _text(job, "priority", spec.priority)
    _text(job, "autoeat", "False")
    layers = ElementTree.SubElement(job, "layers")
    layer = ElementTree.SubElement(layers, "layer", name=spec.layer_name, type="Render")
    _text(layer, "cmd", spec.command)
    _text(layer, "range", spec.frames)
    _text(layer, "chunk", spec.chunk_size)
    ElementTree.SubElement(root, "depends")
    body = ElementTree.tostring(root, encoding="unicode")
    return f'<?xml version="1.0"?>\n{DOCTYPE}\n{body}\n'
