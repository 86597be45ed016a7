"""Review media planning: frames, gaps, sizes, channels, rates, timecodes and keys (pure)."""

from __future__ import annotations

from fractions import Fraction

import pytest

from onepiece.domain.review_media import (
    MAX_PROXY_FRAMES,
    PlannedFrame,
    fit_width,
    frame_ranges,
    frame_timecode,
    parse_fps,
    pick_channels,
    plan_frames,
    review_keys,
    thumbnail_frame,
)


def test_a_sequence_crossing_999_to_1000_is_ordered_by_number_not_by_name() -> None:
    frames = {1000: "s.1000.exr", 998: "s.998.exr", 999: "s.999.exr", 1001: "s.1001.exr"}
    planned = plan_frames(frames)
    assert [p.frame for p in planned] == [998, 999, 1000, 1001]
    assert [p.source for p in planned] == ["s.998.exr", "s.999.exr", "s.1000.exr", "s.1001.exr"]


def test_mixed_padding_files_are_one_sequence_in_frame_order() -> None:
    frames = {9: "s.9.exr", 10: "s.0010.exr", 8: "s.08.exr"}
    assert [p.source for p in plan_frames(frames)] == ["s.08.exr", "s.9.exr", "s.0010.exr"]


def test_gaps_hold_the_previous_delivered_frame_and_are_marked() -> None:
    planned = plan_frames({1001: "a", 1002: "b", 1005: "c"})
    assert planned == [
        PlannedFrame(1001, "a"),
        PlannedFrame(1002, "b"),
        PlannedFrame(1003, "b", held=True),
        PlannedFrame(1004, "b", held=True),
        PlannedFrame(1005, "c"),
    ]


def test_negative_and_zero_frames_are_planned_too() -> None:
    assert [p.frame for p in plan_frames({-1: "a", 1: "b"})] == [-1, 0, 1]


def test_an_absurd_span_is_refused_instead_of_a_huge_movie() -> None:
    with pytest.raises(ValueError, match="span"):
        plan_frames({1: "a", MAX_PROXY_FRAMES + 1: "b"})
    with pytest.raises(ValueError):
        plan_frames({})


@pytest.mark.parametrize(
    ("frames", "expected"),
    [([1001], 1001), ([1, 2, 3], 2), ([1, 2, 3, 4], 2), ([1, 2, 100, 101, 102], 100)],
)
def test_the_thumbnail_is_the_middle_delivered_frame(frames: list[int], expected: int) -> None:
    assert thumbnail_frame(dict.fromkeys(frames, "x")) == expected


@pytest.mark.parametrize(
    ("size", "target", "aspect", "expected"),
    [
        ((1920, 1080), 480, 1.0, (480, 270)),
        ((2048, 858), 480, 1.0, (480, 200)),
        ((64, 36), 480, 1.0, (64, 36)),  # never enlarged
        ((1920, 1080), 1920, 2.0, (1920, 540)),  # anamorphic: squeezed pixels widened
        ((1001, 1001), 1920, 1.0, (1000, 1000)),  # even for yuv420p, never larger
        ((16384, 16384), 480, 1.0, (480, 480)),
    ],
)
def test_sizes_keep_the_aspect_and_are_even(
    size: tuple[int, int], target: int, aspect: float, expected: tuple[int, int]
) -> None:
    assert fit_width(*size, target, aspect) == expected


def test_an_empty_picture_size_is_refused() -> None:
    with pytest.raises(ValueError):
        fit_width(0, 10, 480)


@pytest.mark.parametrize(
    ("names", "indices", "description"),
    [
        (["R", "G", "B", "A"], (0, 1, 2), "RGB"),
        (["B", "G", "R"], (2, 1, 0), "RGB"),  # EXR stores channels alphabetically
        (["A", "B", "G", "R", "Z"], (3, 2, 1), "RGB"),
        (["depth.Z", "diffuse.B", "diffuse.G", "diffuse.R"], (3, 2, 1), "diffuse.RGB"),
        (["beauty.red", "beauty.green", "beauty.blue"], (0, 1, 2), "beauty.RGB"),
        (["Y"], (0, 0, 0), "Y (luminance)"),
        (["Y", "RY", "BY"], (0, 0, 0), "Y (luminance)"),
        (["Z"], (0, 0, 0), "Z as grey"),
        (["u", "v"], (0, 0, 0), "u as grey"),
        (["N.x", "N.y", "N.z"], (0, 1, 2), "N.x,N.y,N.z"),
    ],
)
def test_channels_shown_are_rgb_a_layer_luminance_or_the_first(
    names: list[str], indices: tuple[int, int, int], description: str
) -> None:
    choice = pick_channels(names)
    assert choice.indices == indices
    assert choice.description == description


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, Fraction(24)),
        ("25", Fraction(25)),
        (23.976, Fraction(24000, 1001)),
        ("29.97", Fraction(30000, 1001)),
        ("24000/1001", Fraction(24000, 1001)),
        ("fast", Fraction(24)),
        ("0", Fraction(24)),
        ("-5", Fraction(24)),
        (True, Fraction(24)),
    ],
)
def test_frame_rates_from_metadata(value: object, expected: Fraction) -> None:
    assert parse_fps(value) == expected


@pytest.mark.parametrize(
    ("frame", "fps", "expected"),
    [
        (0, Fraction(24), "00:00:00:00"),
        (1001, Fraction(24), "00:00:41:17"),
        (86400, Fraction(24), "01:00:00:00"),
        (1001, Fraction(24000, 1001), "00:00:41:17"),
        (90000, Fraction(25), "01:00:00:00"),
    ],
)
def test_timecode_of_a_frame_number(frame: int, fps: Fraction, expected: str) -> None:
    assert frame_timecode(frame, fps) == expected


def test_review_media_live_beside_the_version_under_review() -> None:
    keys = review_keys("FG/ep010/sc02/0100/plate/v001/FG_plate_v001.%04d.exr", "FG_plate_v001")
    folder = "FG/ep010/sc02/0100/plate/v001/review"
    assert keys.thumbnail == f"{folder}/FG_plate_v001.thumb.jpg"
    assert keys.proxy == f"{folder}/FG_plate_v001.proxy.mp4"
    assert keys.record == f"{folder}/FG_plate_v001.review.json"
    assert review_keys("clip.mov", "c", "png").thumbnail == "review/c.thumb.png"


def test_frame_ranges_are_compact() -> None:
    assert frame_ranges([1007, 1005, 1006, 1010]) == "1005-1007,1010"
