"""Renderer command templates: shlex-safe, placeholders checked, defaults per DCC."""

from __future__ import annotations

import pytest

from onepiece.domain.frames import Chunk
from onepiece.domain.render_commands import (
    DEFAULT_COMMANDS,
    build_commands,
    progress_pattern,
    templates,
)
from onepiece.errors import ConfigError, JobRejected


def _argv(dcc: str, template_map: dict[str, str], scene: str = "/shots/a b/sc.blend") -> list[str]:
    commands = build_commands(
        dcc,
        template_map,
        chunks=[Chunk(0, 11, 20, 2)],
        scene=scene,
        output="/renders/sh010/beauty.####.exr",
        job="local-x",
        python="/usr/bin/python3",
    )
    return commands[0].argv


def test_every_supported_dcc_has_a_default_template() -> None:
    assert {"builtin", "blender", "maya", "nuke", "houdini", "katana"} <= set(DEFAULT_COMMANDS)


def test_blender_template_renders_start_end_step_as_separate_arguments() -> None:
    argv = _argv("blender", templates())
    assert argv == [
        "blender", "-b", "/shots/a b/sc.blend", "-o", "/renders/sh010/beauty.####.exr",
        "-s", "11", "-e", "20", "-j", "2", "-a",
    ]  # fmt: skip


def test_a_path_with_spaces_and_shell_syntax_stays_one_literal_argument() -> None:
    nasty = "/tmp/x; rm -rf ~ $(whoami) `id`.nk"
    argv = _argv("nuke", templates(), scene=nasty)
    assert argv[-1] == nasty
    assert argv[:4] == ["nuke", "-x", "-F", "11-20x2"]


def test_maya_houdini_and_katana_templates_fill_their_placeholders() -> None:
    maya = _argv("maya", templates())
    assert maya[maya.index("-rd") + 1] == "/renders/sh010"
    houdini = _argv("houdini", templates())
    assert houdini[0] == "hython" and houdini[-6:] == [
        "/shots/a b/sc.blend", "/out/mantra1", "11", "20", "2", "/renders/sh010/beauty.####.exr",
    ]  # fmt: skip
    katana = _argv("katana", templates())
    assert katana[-1] == "11,13,15,17,19"


def test_configured_templates_override_the_defaults() -> None:
    custom = templates({"Blender": "/opt/blender/blender -b {scene} -f {start}"})
    assert _argv("blender", custom)[:1] == ["/opt/blender/blender"]


def test_unknown_placeholders_are_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown placeholder"):
        _argv("blender", templates({"blender": "blender {scene} {secret.__class__}"}))
    with pytest.raises(ConfigError, match="not a valid command line"):
        _argv("blender", templates({"blender": 'blender "unterminated'}))


def test_a_dcc_without_a_template_is_rejected_with_the_known_ones() -> None:
    with pytest.raises(JobRejected) as info:
        _argv("unreal", templates())
    assert "blender" in (info.value.hint or "")


def test_progress_patterns_recognise_a_finished_frame() -> None:
    assert progress_pattern("builtin").search("frame 12 done /x.0012.png")
    assert progress_pattern("blender").search("Saved: '/r/beauty.0001.png'")
    assert not progress_pattern("builtin").search("rendering frames 1-10")
