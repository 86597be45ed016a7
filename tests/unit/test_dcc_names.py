"""DCC names, scene-file extensions and the scene name convention (pure)."""

from __future__ import annotations

import pytest

from onepiece.domain.dcc import check_dcc, dcc_for_file, parse_scene_name
from onepiece.errors import ValidationError


@pytest.mark.parametrize(
    ("name", "dcc"),
    [
        ("a.ma", "maya"),
        ("a.MB", "maya"),
        ("comp.nk", "nuke"),
        ("fx.hip", "houdini"),
        ("fx.hiplc", "houdini"),
        ("fx.hipnc", "houdini"),
        ("anim.blend", "blender"),
        ("lookdev.katana", "katana"),
        ("tex.mra", "mari"),
        ("Game.uproject", "unreal"),
    ],
)
def test_extension_names_the_dcc(name: str, dcc: str) -> None:
    assert dcc_for_file(name) == dcc


def test_unknown_extension_and_dcc_are_refused() -> None:
    with pytest.raises(ValidationError, match="cannot tell which DCC"):
        dcc_for_file("notes.txt")
    with pytest.raises(ValidationError, match="unknown DCC"):
        check_dcc("photoshop")


def test_scene_name_is_parsed() -> None:
    scene = parse_scene_name("seq010_sh010_lighting_v002")
    assert (scene.sequence, scene.shot, scene.task, scene.version) == (
        "seq010",
        "sh010",
        "lighting",
        2,
    )


@pytest.mark.parametrize(
    "name",
    [
        "../seq010_sh010_lighting_v002",
        "/abs/seq010_sh010_lighting_v002",
        "seq010/sh010_lighting_v002",
        "seq010_sh010_lighting",
        "seq010_sh010_lighting_v2",
        ".hidden_sh010_lighting_v002",
        "seq010_sh010_light ing_v002",
        "",
    ],
)
def test_unsafe_or_unconventional_scene_names_are_refused(name: str) -> None:
    with pytest.raises(ValidationError):
        parse_scene_name(name)
