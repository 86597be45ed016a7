"""Frame sets and chunks: ``1-100,120-130x2`` in, evenly stepped chunks out.

Parsing goes through fileseq (the VFX industry's frame-range syntax); fileseq's
own errors are long regex dumps, so they are replaced here by one clear
ValidationError. Chunking is pure: a farm runs one renderer process per chunk.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from onepiece.errors import ValidationError

# A submission larger than this is almost certainly a typo (1-1000000).
MAX_FRAMES = 100_000


@dataclass(frozen=True)
class Chunk:
    """An evenly stepped run of frames rendered by one process."""

    index: int
    start: int
    end: int
    step: int = 1

    @property
    def frames(self) -> list[int]:
        return list(range(self.start, self.end + 1, self.step))

    @property
    def count(self) -> int:
        return (self.end - self.start) // self.step + 1

    @property
    def frame_set(self) -> str:
        """The chunk in frame-set syntax: ``5``, ``1-10`` or ``120-130x2``."""
        if self.start == self.end:
            return str(self.start)
        suffix = f"x{self.step}" if self.step != 1 else ""
        return f"{self.start}-{self.end}{suffix}"


# Frame sets parsed lately: every submit parses its range two or three times
# (validation, the farm, chunking) and studios submit the same ranges over and
# over; fileseq's parse was 9% of a submit's CPU under load (docs/benchmarks.md).
# Only small sets are kept, so the memo stays under a few MiB.
_RECENT: dict[str, tuple[int, ...]] = {}
_RECENT_SPECS = 128
_RECENT_MAX_FRAMES = 1_000


def parse_frames(spec: str) -> list[int]:
    """Sorted, unique frames of a frame set. Raises ValidationError on garbage."""
    text = "".join(str(spec).split())
    known = _RECENT.get(text)
    if known is not None:
        return list(known)
    frames = _parse(text, spec)
    if len(frames) <= _RECENT_MAX_FRAMES:
        if len(_RECENT) >= _RECENT_SPECS:
            _RECENT.clear()  # simpler than LRU order, and as good for a working set this size
        _RECENT[text] = tuple(frames)
    return frames


def _parse(text: str, spec: str) -> list[int]:
    from fileseq.exceptions import MaxSizeException, ParseException
    from fileseq.frameset import FrameSet

    if not text:
        raise ValidationError("empty frame range", hint="give frames like 1-100 or 1-100,120-130x2")
    if any(ch in text for ch in ".:y#@"):
        raise ValidationError(
            f"invalid frame range {spec!r}: only whole frames and 'x' steps are supported",
            hint="use frames like 1-100, 1-100x2 or 1,5,9",
        )
    try:
        frame_set = FrameSet(text)
    except MaxSizeException as exc:
        raise ValidationError(
            f"frame range {spec!r} is too large (at most {MAX_FRAMES} frames)",
            hint="split the job into several submissions",
        ) from exc
    except (ParseException, ValueError) as exc:
        raise ValidationError(
            f"invalid frame range {spec!r}",
            hint="use frames like 1-100, 1-100x2 or 1-100,120-130x2",
        ) from exc
    if len(frame_set) > MAX_FRAMES:
        raise ValidationError(
            f"frame range {spec!r} is too large ({len(frame_set)} frames, at most {MAX_FRAMES})",
            hint="split the job into several submissions",
        )
    frames = sorted({int(frame) for frame in frame_set})
    if not frames:
        raise ValidationError(f"frame range {spec!r} has no frames")
    return frames


def _runs(frames: Sequence[int]) -> list[tuple[int, int, int]]:
    """Maximal evenly stepped runs (start, end, step) of sorted frames."""
    runs: list[tuple[int, int, int]] = []
    i = 0
    while i < len(frames):
        j = i + 1
        step = frames[j] - frames[i] if j < len(frames) else 1
        while j < len(frames) and frames[j] - frames[j - 1] == step:
            j += 1
        runs.append((frames[i], frames[j - 1], step if j > i + 1 else 1))
        i = j
    return runs


def chunk_frames(frames: Sequence[int], chunk_size: int) -> list[Chunk]:
    """Split sorted frames into evenly stepped runs of at most ``chunk_size`` frames.

    The frames are first cut into maximal runs with one step (``1-7,20-24x2``
    gives ``1-7`` and ``20-24x2``), then each run into chunks, so a renderer
    called with start/end/step renders exactly the frames asked for.
    """
    if chunk_size < 1:
        raise ValidationError(f"chunk size must be at least 1, not {chunk_size}")
    chunks: list[Chunk] = []
    for start, end, step in _runs(frames):
        for first in range(start, end + 1, step * chunk_size):
            last = min(first + step * (chunk_size - 1), end)
            chunks.append(Chunk(len(chunks), first, last, step))
    return chunks


def frame_count(spec: str) -> int:
    return len(parse_frames(spec))
