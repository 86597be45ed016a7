"""OpenCue layer commands: the shared DCC templates with Cuebot's per-chunk tokens."""

from __future__ import annotations

import shlex

import pytest

from onepiece.adapters.farms.opencue.command import TOKENS, command_for, uniform_step
from onepiece.domain.render import JobRequest
from onepiece.domain.render_commands import DEFAULT_COMMANDS, PLACEHOLDERS
from onepiece.errors import ConfigError, JobRejected


def request(**changes: object) -> JobRequest:
    values: dict[str, object] = {
        "dcc": "blender",
        "scene": "/shows/pipe/sh010/sh010_lighting_v003.blend",
        "frames": "1-100",
        "output": "/renders/sh010/beauty.####.exr",
        "farm": "opencue",
        "user": "alice",
    }
    values.update(changes)
    return JobRequest(**values)  # type: ignore[arg-type]


def test_default_blender_command_uses_cuebot_tokens() -> None:
    assert shlex.split(command_for(request(frames="1-100x2"), {})) == [
        "blender",
        "-b",
        "/shows/pipe/sh010/sh010_lighting_v003.blend",
        "-o",
        "/renders/sh010/beauty.####.exr",
        "-s",
        "#FRAME_START#",
        "-e",
        "#FRAME_END#",
        "-j",
        "2",
        "-a",
    ]


def test_paths_with_spaces_and_quotes_stay_one_argument() -> None:
    scene = "/shows/my show/it's.blend"
    words = shlex.split(command_for(request(scene=scene), {}))
    assert words[2] == scene


def test_every_placeholder_has_an_opencue_value() -> None:
    template = "r {scene} {output} {output_dir} {start} {end} {step} {frames} {frame_list} "
    template += "{chunk} {job} {python}"
    words = shlex.split(command_for(request(), {"blender": template}))
    assert words[1:] == [
        "/shows/pipe/sh010/sh010_lighting_v003.blend",
        "/renders/sh010/beauty.####.exr",
        "/renders/sh010",
        "#FRAME_START#",
        "#FRAME_END#",
        "1",
        "#FRAMESPEC#",
        "#FRAMESPEC#",
        "#IFRAME#",
        "#JOB#",
        "python3",
    ]


def test_configured_templates_win_and_dcc_names_ignore_case() -> None:
    command = command_for(request(dcc="Blender"), {"BLENDER": "my-blender {frames} {scene}"})
    assert shlex.split(command)[:2] == ["my-blender", "#FRAMESPEC#"]


def test_every_shared_placeholder_has_an_opencue_value() -> None:
    assert set(TOKENS) | {"scene", "output", "output_dir", "step"} == PLACEHOLDERS


def test_the_local_farms_default_templates_work_on_opencue() -> None:
    for dcc in DEFAULT_COMMANDS:
        assert "{" not in command_for(request(dcc=dcc), {}).replace("{{", "")


def test_nuke_range_and_houdini_inline_code_survive_quoting() -> None:
    nuke = command_for(request(dcc="nuke", scene="/s/comp.nk"), {})
    assert nuke == "nuke -x -F #FRAME_START#-#FRAME_END#x1 /s/comp.nk"
    houdini = shlex.split(command_for(request(dcc="houdini", scene="/s/fx.hip"), {}))
    assert houdini[:2] == ["hython", "-c"] and houdini[2].startswith("import hou,sys")
    assert houdini[3:7] == ["/s/fx.hip", "/out/mantra1", "#FRAME_START#", "#FRAME_END#"]


@pytest.mark.parametrize(
    ("frames", "step"),
    [("1-100", 1), ("1-100x2", 2), ("1-99x2,101-199x2", 2), ("1-9x2,20-30x5", 1), ("7", 1)],
)
def test_step_comes_from_the_submitted_frame_set(frames: str, step: int) -> None:
    assert uniform_step(frames) == step


def test_unknown_dcc_names_the_setting_to_add() -> None:
    with pytest.raises(JobRejected, match="no render command for DCC 'krita'") as caught:
        command_for(request(dcc="krita"), {})
    assert caught.value.hint and "[render.commands]" in caught.value.hint


@pytest.mark.parametrize(
    ("template", "problem"),
    [
        ("blender {sceen}", "unknown placeholder(s) ['sceen']"),
        ("blender '{scene}", "not a valid command line"),
        ("blender {scene", "unbalanced braces"),
        ("   ", "is empty"),
    ],
)
def test_malformed_templates_are_configuration_errors(template: str, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        command_for(request(), {"blender": template})
    assert problem in caught.value.message
