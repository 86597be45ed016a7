"""DCCs: which application opens a scene file, and what a publishable scene is called."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePath

from onepiece.errors import ValidationError

# DCC name -> its interactive application on PATH, first found wins. Batch tools
# (Maya's Render, Houdini's hython) run a scene headless and exit: they never open it.
DCC_EXECUTABLES: dict[str, list[str]] = {
    "maya": ["maya"],
    "nuke": ["nuke", "Nuke"],
    "houdini": ["houdini", "houdinifx", "houdinicore", "happrentice"],
    "blender": ["blender"],
    "katana": ["katana"],
    "mari": ["mari", "Mari"],
    "unreal": ["UnrealEditor", "UE4Editor"],
}

# Batch tools per DCC: refused by `dcc open-shot`, named when they are all there is.
DCC_BATCH_TOOLS: dict[str, list[str]] = {
    "maya": ["Render", "mayabatch", "mayapy"],
    "nuke": [],
    "houdini": ["hython", "hbatch", "husk"],
    "blender": [],
    "katana": [],
    "mari": [],
    "unreal": ["UnrealEditor-Cmd"],
}

# Scene file extension -> DCC.
EXTENSIONS: dict[str, str] = {
    ".ma": "maya",
    ".mb": "maya",
    ".nk": "nuke",
    ".nknc": "nuke",
    ".hip": "houdini",
    ".hiplc": "houdini",
    ".hipnc": "houdini",
    ".blend": "blender",
    ".katana": "katana",
    ".mra": "mari",
    ".uproject": "unreal",
}

SHOW_TYPES = ("vfx", "prod")

# seq010_sh010_lighting_v002: sequence, shot, task, version.
SCENE_NAME = re.compile(
    r"^(?P<sequence>[A-Za-z]+\d+)_(?P<shot>[A-Za-z]*\d+)_(?P<task>[A-Za-z][A-Za-z0-9]*)"
    r"_v(?P<version>\d{3,4})$"
)


@dataclass(frozen=True)
class SceneName:
    name: str
    sequence: str
    shot: str
    task: str
    version: int


def check_dcc(name: str) -> str:
    dcc = name.strip().lower()
    if dcc not in DCC_EXECUTABLES:
        raise ValidationError(
            f"unknown DCC {name!r}", hint=f"use one of {', '.join(sorted(DCC_EXECUTABLES))}"
        )
    return dcc


def dcc_for_file(path: str) -> str:
    suffix = PurePath(path).suffix.lower()
    if suffix not in EXTENSIONS:
        known = ", ".join(sorted(EXTENSIONS))
        raise ValidationError(
            f"cannot tell which DCC opens {PurePath(path).name!r} (extension {suffix or 'none'})",
            hint=f"pass --dcc NAME, or use a known extension: {known}",
        )
    return EXTENSIONS[suffix]


def parse_scene_name(name: str) -> SceneName:
    """Validate a scene name: safe as a folder name and matching the convention."""
    if not name or "/" in name or "\\" in name or name.startswith(".") or ".." in name:
        raise ValidationError(
            f"scene name {name!r} is not safe",
            hint="a plain name such as seq010_sh010_lighting_v002 (no paths)",
        )
    if any(ord(c) < 32 for c in name):
        raise ValidationError(f"scene name {name!r} contains control characters")
    match = SCENE_NAME.fullmatch(name)
    if match is None:
        raise ValidationError(
            f"scene name {name!r} does not match SEQUENCE_SHOT_TASK_vNNN",
            hint="for example seq010_sh010_lighting_v002",
        )
    return SceneName(name, match["sequence"], match["shot"], match["task"], int(match["version"]))


def check_show_type(value: str) -> str:
    if value not in SHOW_TYPES:
        raise ValidationError(f"unknown show type {value!r}", hint="vfx or prod")
    return value
