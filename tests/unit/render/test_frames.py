"""Frame sets and chunking (pure)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onepiece.domain.frames import MAX_FRAMES, Chunk, chunk_frames, parse_frames
from onepiece.errors import ValidationError


def test_parses_ranges_steps_and_lists_into_sorted_unique_frames() -> None:
    frames = parse_frames("1-100,120-130x2")
    assert len(frames) == 106
    assert frames[:3] == [1, 2, 3]
    assert frames[-3:] == [126, 128, 130]
    assert parse_frames("5,1,3,3") == [1, 3, 5]
    assert parse_frames(" 1-3, 7 ") == [1, 2, 3, 7]
    assert parse_frames("-2-1") == [-2, -1, 0, 1]


@pytest.mark.parametrize(
    "garbage", ["", "   ", "abc", "1-", "1-10x0", "1..5", "1.5", "1-10:2", "#"]
)
def test_garbage_frame_ranges_raise_one_clear_validation_error(garbage: str) -> None:
    with pytest.raises(ValidationError) as info:
        parse_frames(garbage)
    message = str(info.value)
    assert "frame range" in message
    assert "\\A" not in message and "did not match" not in message  # no regex dump
    assert info.value.hint


def test_frame_ranges_beyond_the_limit_are_refused() -> None:
    with pytest.raises(ValidationError, match="too large"):
        parse_frames(f"1-{MAX_FRAMES + 1}")
    with pytest.raises(ValidationError, match="too large"):
        parse_frames("1-100000000")


def test_chunks_are_contiguous_runs_of_at_most_chunk_size() -> None:
    chunks = chunk_frames(parse_frames("1-25"), 10)
    assert [(c.start, c.end, c.step) for c in chunks] == [(1, 10, 1), (11, 20, 1), (21, 25, 1)]
    assert [c.index for c in chunks] == [0, 1, 2]


def test_a_chunk_never_bridges_a_gap_or_a_change_of_step() -> None:
    chunks = chunk_frames(parse_frames("1-100,120-130x2"), 10)
    assert chunks[-1] == Chunk(10, 120, 130, 2)
    assert chunks[-1].frames == [120, 122, 124, 126, 128, 130]
    gap = chunk_frames(parse_frames("1-3,10"), 100)
    assert [c.frame_set for c in gap] == ["1-3", "10"]


def test_chunk_size_must_be_positive() -> None:
    with pytest.raises(ValidationError):
        chunk_frames([1, 2], 0)


@given(
    st.sets(st.integers(min_value=-500, max_value=5000), min_size=1, max_size=300),
    st.integers(min_value=1, max_value=40),
)
def test_chunks_cover_exactly_the_frames_asked_for(frames: set[int], size: int) -> None:
    ordered = sorted(frames)
    chunks = chunk_frames(ordered, size)
    rendered = [f for c in chunks for f in c.frames]
    assert rendered == ordered
    assert all(1 <= c.count <= size for c in chunks)
    assert all(c.count == len(c.frames) for c in chunks)
    # and the frame-set string of each chunk parses back to its frames
    assert all(parse_frames(c.frame_set) == c.frames for c in chunks)


def test_a_new_chunk_does_not_pair_a_range_end_with_the_next_range() -> None:
    chunks = chunk_frames(parse_frames("1-7,20-24x2"), 3)
    assert [c.frame_set for c in chunks] == ["1-3", "4-6", "7", "20-24x2"]


def test_a_frame_set_parsed_again_is_the_same_and_callers_cannot_change_it() -> None:
    first = parse_frames("1001-1010x3")
    first.append(99)  # a caller editing its list
    assert parse_frames("1001-1010x3") == [1001, 1004, 1007, 1010]
    assert parse_frames(" 1001-1010x3 ") == [1001, 1004, 1007, 1010]
    assert parse_frames("1001-1010x3") is not parse_frames("1001-1010x3")


@given(st.lists(st.integers(-50, 5000), min_size=1, max_size=30))
def test_parsing_a_set_twice_gives_the_same_frames(frames: list[int]) -> None:
    spec = ",".join(map(str, frames))
    assert parse_frames(spec) == parse_frames(spec) == sorted(set(frames))


def test_garbage_is_refused_every_time_it_is_asked() -> None:
    for _ in range(3):
        with pytest.raises(ValidationError):
            parse_frames("1-10x0")
