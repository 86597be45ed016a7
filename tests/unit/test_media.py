"""Frame files group into one Version per sequence; gaps are reported as ranges."""

from __future__ import annotations

import fileseq
from hypothesis import given
from hypothesis import strategies as st

from onepiece.domain.media import group_media
from onepiece.domain.naming import compile_rules, format_name, parse_name

RULES = compile_rules(None, "FG")


def frames(numbers: list[int], folder: str = "seq", code_shot: str = "0010", width: int = 4):
    out = []
    for n in numbers:
        filename = format_name(
            "FG", "ep010", "sc02", code_shot, "comp", 4, "exr", frame=n, frame_width=width
        )
        out.append((f"{folder}/{filename}", parse_name(filename, RULES)))
    return out


def test_frames_become_one_item_with_range_and_gap() -> None:
    items, problems = group_media(frames([1001, 1002, 1003, 1004, 1008, 1009, 1010]))
    assert problems == {}
    [item] = items
    assert item.is_sequence
    assert (item.frame_first, item.frame_last) == (1001, 1010)
    assert item.frame_range == "1001-1004,1008-1010"
    assert item.missing_frames == "1005-1007"
    assert item.filename == "FG_ep010_sc02_0010_comp_v004.%04d.exr"
    assert item.display_name == "FG_ep010_sc02_0010_comp_v004.1001-1004,1008-1010#.exr"


def test_complete_sequence_has_no_missing_frames() -> None:
    [item], _ = group_media(frames(list(range(1, 11))))
    assert item.missing_frames is None
    assert item.frame_range == "1-10"


@given(st.sets(st.integers(0, 3000), min_size=1, max_size=200))
def test_missing_frames_are_exactly_the_holes(numbers: set[int]) -> None:
    [item], _ = group_media(frames(sorted(numbers)))
    holes = set(range(min(numbers), max(numbers) + 1)) - numbers

    missing = set(fileseq.FrameSet(item.missing_frames)) if item.missing_frames else set()
    assert missing == holes
    assert list(item.frames) == sorted(numbers)


def test_clip_and_sequence_under_one_code_are_both_refused() -> None:
    clip = "FG_ep010_sc02_0010_comp_v004.mov"
    items, problems = group_media([*frames([1, 2]), (clip, parse_name(clip, RULES))])
    assert items == []
    assert set(problems) == {clip, *(p for p, _ in frames([1, 2]))}
    assert "delivered more than once" in problems[clip]


def test_same_frame_with_two_paddings_is_a_problem() -> None:
    items, problems = group_media(frames([1001], width=4) + frames([1001], width=5))
    assert items == []
    assert any("delivered twice" in reason for reason in problems.values())


def test_separate_shots_stay_separate_items() -> None:
    items, problems = group_media(frames([1, 2], code_shot="0010") + frames([1], code_shot="0020"))
    assert problems == {}
    assert [item.code for item in items] == [
        "FG_ep010_sc02_0010_comp_v004",
        "FG_ep010_sc02_0020_comp_v004",
    ]


def test_unpadded_frames_crossing_999_to_1000_are_one_sequence() -> None:
    files = frames([998, 999], width=3) + frames([1000, 1002], width=4)
    items, problems = group_media(files)
    assert problems == {}
    [item] = items
    assert item.frames == (998, 999, 1000, 1002)
    assert item.filename == "FG_ep010_sc02_0010_comp_v004.%03d.exr"
    assert item.missing_frames == "1001"


def test_frames_written_with_two_paddings_are_still_a_problem() -> None:
    items, problems = group_media(frames([999], width=3) + frames([1000], width=5))
    assert items == []
    assert all("mixes frame paddings [3, 5]" in reason for reason in problems.values())
