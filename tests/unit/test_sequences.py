"""One frame-padding rule for every sequence path: fileseq's, ``#`` alone = 4 digits."""

from __future__ import annotations

import pytest
from fileseq.filesequence import FileSequence
from hypothesis import given
from hypothesis import strategies as st

from onepiece.domain.sequences import (
    expand_frames,
    frame_name,
    frame_token,
    is_file_pattern,
    is_frame_pattern,
    padding_chars,
    padding_width,
    printf_pattern,
)
from onepiece.errors import ValidationError
from onepiece.render_builtin import frame_path

WIDTHS = {
    "#": 4,
    "##": 2,
    "###": 3,
    "####": 4,
    "@": 1,
    "@@@": 3,
    "@@@@": 4,
    "%04d": 4,
    "%4d": 4,
    "%05d": 5,
    "%d": 1,
    "$F4": 4,
    "$F": 1,
}

widths = st.integers(min_value=1, max_value=12)
frames = st.integers(min_value=0, max_value=10**9)
# Plain shot-like stems: fileseq reads a trailing "-" or digit in a stem as part of a range.
# Folders in it have names: "a//b" is no path a pipeline writes (fileseq refuses it).
stems = st.from_regex(r"[a-z]([a-z_]{0,6}/)?[a-z_]{0,8}[a-z]", fullmatch=True)


@pytest.mark.parametrize(("token", "width"), sorted(WIDTHS.items()))
def test_padding_tokens_have_one_width(token: str, width: int) -> None:
    assert padding_width(token) == width


@pytest.mark.parametrize("token", ["#", "@", "%04d", "$F4", "@@@"])
def test_widths_agree_with_fileseq_default_style_where_fileseq_is_unambiguous(token: str) -> None:
    assert padding_width(token) == FileSequence.getPaddingNum(token)


def test_a_lone_hash_is_four_digits() -> None:
    assert frame_name("sh.#.exr", 7) == "sh.0007.exr"
    assert expand_frames("sh.#.exr", None, 7, 7) == [(7, "sh.0007.exr")]


def test_the_builtin_renderer_keeps_blenders_lone_hash() -> None:
    """tests/unit/render/test_render_builtin.py pins 'x.#.png' -> 'x.1.png' (Blender's rule)."""
    assert frame_path("/r/sh.#.png", 7).name == "sh.7.png"


@pytest.mark.parametrize("token", sorted(set(WIDTHS) - {"#"}))
def test_render_output_and_delivery_expand_every_token_alike(token: str) -> None:
    pattern = f"/r/beauty.{token}.exr"
    [(_, expanded)] = expand_frames(pattern, "1001", None, None)
    assert str(frame_path(pattern, 1001)) == expanded


def test_a_frame_wider_than_its_padding_is_written_whole() -> None:
    assert frame_name("b.##.png", 123) == "b.123.png"


def test_the_last_token_is_the_frame() -> None:
    token = frame_token("shots/#sh10/plate.%04d.exr")
    assert token is not None and token.text == "%04d" and token.width == 4
    assert frame_token("plate.exr") is None


def test_udim_marks_several_files_but_not_frames() -> None:
    assert is_file_pattern("tex.<UDIM>.tx")
    assert not is_frame_pattern("tex.<UDIM>.tx")
    with pytest.raises(ValidationError):
        expand_frames("tex.<UDIM>.tx", "1001-1002", None, None)


def test_frame_ranges_keep_their_gaps_and_need_a_range() -> None:
    assert [f for f, _ in expand_frames("a.####.exr", "1-3,7", None, None)] == [1, 2, 3, 7]
    with pytest.raises(ValidationError):
        expand_frames("a.####.exr", None, None, None)
    with pytest.raises(ValidationError):
        expand_frames("a.####.exr", "1-x", None, None)
    with pytest.raises(ValidationError):
        expand_frames("a.exr", "1-3", None, None)


def test_not_a_token_is_refused() -> None:
    with pytest.raises(ValueError, match="not a frame-padding token"):
        padding_width("x")
    with pytest.raises(ValueError, match="no frame-padding token"):
        frame_name("plate.exr", 1)
    with pytest.raises(ValueError):
        padding_chars(0)


@given(widths)
def test_written_padding_reads_back_as_its_width(width: int) -> None:
    chars = padding_chars(width)
    assert padding_width(chars) == width
    # fileseq reads it the same in its default style, so other tools agree too.
    assert FileSequence.getPaddingNum(chars) == width


@given(stems, widths, frames)
def test_printf_and_hash_patterns_name_the_same_file(stem: str, width: int, frame: int) -> None:
    hashes = "#" * width if width > 1 else "@"
    printf = printf_pattern(f"{stem}.", width, ".exr")
    assert frame_name(printf, frame) == frame_name(f"{stem}.{hashes}.exr", frame)
    assert frame_name(printf, frame) == f"{stem}.{frame:0{width}d}.exr"


@given(stems, widths, frames)
def test_a_named_frame_parses_back_with_fileseq(stem: str, width: int, frame: int) -> None:
    name = frame_name(printf_pattern(f"{stem}.", width, ".exr"), frame)
    parsed = FileSequence(name)
    assert parsed.frameSet() is not None and int(parsed.frameSet().start()) == frame
