"""Delivery names: the documented convention, per-show patterns, and clear reasons."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onepiece.domain.naming import compile_rules, format_name, parse_name
from onepiece.errors import ConfigError, ValidationError

RULES = compile_rules(None, "FG")
ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
shows = st.text(ALNUM, min_size=2, max_size=8)
fields = st.text(ALNUM + "-", min_size=1, max_size=12)
exts = st.text(ALNUM, min_size=1, max_size=5)


def test_documented_example_is_accepted() -> None:
    name = parse_name("FG_ep010_sc02_0010_comp_v004.mov", RULES)
    assert (name.show, name.episode, name.scene, name.shot, name.asset) == (
        "FG",
        "ep010",
        "sc02",
        "0010",
        "comp",
    )
    assert name.version == 4
    assert name.ext == "mov"
    assert name.frame is None
    assert name.code == "FG_ep010_sc02_0010_comp_v004"


def test_frame_file_carries_frame_and_padding() -> None:
    name = parse_name("FG_ep010_sc02_0010_comp_v004.1001.exr", RULES)
    assert name.frame == 1001
    assert name.frame_width == 4
    assert name.code == "FG_ep010_sc02_0010_comp_v004"


@given(
    show=shows,
    episode=fields,
    scene=fields,
    shot=fields,
    asset=fields,
    version=st.integers(1, 99_999),
    ext=exts,
    frame=st.none() | st.integers(0, 10**7),
    width=st.integers(1, 8),
)
def test_name_round_trips_through_parse_and_format(
    show: str,
    episode: str,
    scene: str,
    shot: str,
    asset: str,
    version: int,
    ext: str,
    frame: int | None,
    width: int,
) -> None:
    filename = format_name(
        show, episode, scene, shot, asset, version, ext, frame=frame, frame_width=width
    )
    parsed = parse_name(filename, compile_rules(None, show))
    assert (parsed.show, parsed.episode, parsed.scene, parsed.shot, parsed.asset) == (
        show,
        episode,
        scene,
        shot,
        asset,
    )
    assert (parsed.version, parsed.ext, parsed.frame) == (version, ext, frame)
    rebuilt = format_name(
        parsed.show,
        parsed.episode,
        parsed.scene,
        parsed.shot,
        parsed.asset,
        parsed.version,
        parsed.ext,
        frame=parsed.frame,
        frame_width=parsed.frame_width,
        version_width=len(filename.split("_v")[-1].split(".")[0]),
    )
    assert rebuilt == filename


@given(show=shows, version=st.integers(1, 999))
def test_show_code_comparison_is_case_sensitive(show: str, version: int) -> None:
    """Issue 14 item 12: "fg_..." under show FG was registered as a second Version."""
    filename = format_name(show, "ep1", "sc1", "0010", "comp", version, "mov")
    assert parse_name(filename, compile_rules(None, show)).show == show
    if show.swapcase() != show:
        with pytest.raises(ValidationError, match="does not match the show code"):
            parse_name(filename, compile_rules(None, show.swapcase()))


@pytest.mark.parametrize(
    ("filename", "reason"),
    [
        ("FG_ep010_sc02_0010_comp_v4.mov", "bad version number 'v4'"),
        ("FG_ep010_sc02_0010_comp_vABC.mov", "bad version number 'vABC'"),
        ("FG_ep010_sc02_0010_comp_v000.mov", "versions start at v001"),
        ("FG_ep010_sc02_0010_comp.mov", "expected 6 fields"),
        ("FG_ep010_sc02_0010_comp_v004", "no file extension"),
        ("F_ep010_sc02_0010_comp_v004.mov", "show code 'F' must be 2 to 8"),
        ("FGABCDEFG_ep010_sc02_0010_comp_v004.mov", "must be 2 to 8 letters or digits"),
        ("FG_ep 010_sc02_0010_comp_v004.mov", "episode 'ep 010' may only contain"),
        ("FG_ep010_sc02_0010_comp_v004.10a1.exr", "bad frame number '10a1'"),
        ("notes.txt", "expected 6 fields"),
    ],
)
def test_bad_names_say_what_is_wrong(filename: str, reason: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_name(filename, RULES)
    assert reason in caught.value.message


def test_name_for_another_show_is_refused() -> None:
    with pytest.raises(ValidationError, match="show 'XY' in the name does not match"):
        parse_name("XY_ep010_sc02_0010_comp_v004.mov", RULES)


def test_show_pattern_from_config_replaces_the_default() -> None:
    rules = compile_rules(
        r"(?P<show>[A-Z]+)-(?P<episode>\d+)-(?P<scene>\d+)-(?P<shot>\d+)-(?P<asset>[a-z]+)"
        r"-(?P<version>\d+)(?:_(?P<frame>\d+))?\.(?P<ext>\w+)",
        "ZZ",
    )
    name = parse_name("ZZ-1-2-30-plate-7_0101.dpx", rules)
    assert (name.show, name.shot, name.version, name.frame, name.ext) == ("ZZ", "30", 7, 101, "dpx")
    assert name.code == "ZZ-1-2-30-plate-7"
    with pytest.raises(ValidationError, match="show's naming pattern"):
        parse_name("FG_ep010_sc02_0010_comp_v004.mov", rules)


def test_show_pattern_without_required_groups_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="lacks the named groups .*version"):
        compile_rules(
            r"(?P<show>\w+)_(?P<episode>\w+)_(?P<scene>\w+)_(?P<shot>\w+)_(?P<asset>\w+)\.(?P<ext>\w+)"
        )
    with pytest.raises(ConfigError, match="not a valid regular expression"):
        compile_rules("(unclosed")
