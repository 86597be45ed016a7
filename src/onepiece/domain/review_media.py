"""Review media planning: which frames, which sizes, which channels, which keys.

Pure. The imaging itself (decoding, colour, encoding) lives in
``onepiece.services.review_media``; this module decides what it does:

- a frame sequence becomes one proxy frame per frame number from the first to
  the last, a missing frame showing the last frame before it (``held``);
  frames are ordered by number, never by name, so ``.999`` comes before
  ``.1000`` whatever the padding;
- the thumbnail shows the middle delivered frame;
- sizes keep the picture's aspect and are even (yuv420p needs it);
- the channels shown are R, G, B (or a layer's ``*.R/G/B``), else luminance
  ``Y``, else the first three channels, else the first one as grey;
- derivatives are stored beside the Version under ``review/`` (docs/review_media.md).
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from fileseq.frameset import FrameSet

THUMBNAIL_WIDTH = 480
PROXY_MAX_WIDTH = 1920
MAX_PROXY_FRAMES = 100_000  # a 1 -> 10,000,000 typo is not a 115-hour movie
DEFAULT_FPS = Fraction(24)
REVIEW_FOLDER = "review"
# Derived files beside a Version (made after its media is verified): a hash list
# of the stored tree ignores them, as they are not part of the delivery.
DERIVED_PATTERNS = ("*.thumb.jpg", "*.thumb.png", "*.proxy.mp4", "*.review.json")


@dataclass(frozen=True)
class PlannedFrame:
    frame: int  # the frame number shown
    source: str  # the file that holds its picture
    held: bool = False  # True: a gap, showing the previous delivered frame


def plan_frames(frames: Mapping[int, str]) -> list[PlannedFrame]:
    """One entry per frame number from first to last; gaps hold the previous frame.

    ``frames`` maps frame numbers to their files (any padding: numbers decide
    the order). Raises ValueError when empty or absurdly long.
    """
    if not frames:
        raise ValueError("no frames")
    numbers = sorted(frames)
    span = numbers[-1] - numbers[0] + 1
    if span > MAX_PROXY_FRAMES:
        raise ValueError(
            f"frames {numbers[0]}-{numbers[-1]} span {span} frames "
            f"(more than {MAX_PROXY_FRAMES} for one review movie)"
        )
    planned: list[PlannedFrame] = []
    source = frames[numbers[0]]
    for number in range(numbers[0], numbers[-1] + 1):
        if number in frames:
            source = frames[number]
            planned.append(PlannedFrame(number, source))
        else:
            planned.append(PlannedFrame(number, source, held=True))
    return planned


def frame_ranges(frames: Sequence[int]) -> str:
    """``[1005, 1006, 1007, 1010]`` -> ``1005-1007,1010``."""
    return str(FrameSet(sorted(set(frames))))


def thumbnail_frame(frames: Mapping[int, object]) -> int:
    """The delivered frame in the middle (by count, so gaps never pick a held frame)."""
    if not frames:
        raise ValueError("no frames")
    numbers = sorted(frames)
    return numbers[(len(numbers) - 1) // 2]


def _even(value: float) -> int:
    # Down to even: never larger than the source, and yuv420p needs even sizes.
    return max(2, int(value + 1e-9) // 2 * 2)


def fit_width(width: int, height: int, target: int, pixel_aspect: float = 1.0) -> tuple[int, int]:
    """(width, height) at most ``target`` wide, aspect kept (pixel aspect applied), even."""
    if width <= 0 or height <= 0:
        raise ValueError(f"invalid picture size {width}x{height}")
    display_width = width * (pixel_aspect if pixel_aspect > 0 else 1.0)
    out_width = min(float(target), display_width)
    out_height = out_width * height / display_width
    return _even(out_width), _even(out_height)


@dataclass(frozen=True)
class ChannelChoice:
    indices: tuple[int, int, int]  # source channels for R, G, B (repeated for grey)
    description: str  # e.g. "RGB", "diffuse.RGB", "Y (luminance)", "first channel as grey"


def pick_channels(names: Sequence[str]) -> ChannelChoice:
    """Which channels of an image to show as RGB.

    Plain ``R,G,B`` first; then the first layer (in file order) with ``.R .G
    .B`` (``.r .g .b`` or ``.red`` ...); then ``Y`` as grey; then the first
    three channels; then the first channel as grey.
    """
    if not names:
        raise ValueError("image has no channels")
    lowered = [name.lower() for name in names]
    aliases = {"r": ("r", "red"), "g": ("g", "green"), "b": ("b", "blue")}

    def find(layer: str, colour: str) -> int | None:
        for alias in aliases[colour]:
            wanted = f"{layer}.{alias}" if layer else alias
            if wanted in lowered:
                return lowered.index(wanted)
        return None

    layers = [""]
    for name in lowered:
        layer = name.rpartition(".")[0]
        if layer and layer not in layers:
            layers.append(layer)
    for layer in layers:
        found = [find(layer, colour) for colour in ("r", "g", "b")]
        if all(index is not None for index in found):
            r, g, b = (int(index) for index in found if index is not None)
            original = names[r].rpartition(".")[0]
            return ChannelChoice((r, g, b), f"{original}.RGB" if original else "RGB")
    for index, name in enumerate(names):  # EXR luminance is "Y"; "N.y" is a vector's y
        if name == "Y" or name.endswith(".Y"):
            return ChannelChoice((index, index, index), f"{names[index]} (luminance)")
    if len(names) >= 3:
        return ChannelChoice((0, 1, 2), f"{names[0]},{names[1]},{names[2]}")
    return ChannelChoice((0, 0, 0), f"{names[0]} as grey")


def parse_fps(value: object, default: Fraction = DEFAULT_FPS) -> Fraction:
    """A frame rate from metadata ("24", "23.976", "24000/1001", 25.0), else ``default``."""
    if value is None or isinstance(value, bool):
        return default
    try:
        if isinstance(value, str) and "/" in value:
            num, _, den = value.partition("/")
            rate = Fraction(int(num), int(den))
        else:
            rate = Fraction(str(value))
    except (ValueError, ZeroDivisionError):
        return default
    known = {Fraction("23.976"): Fraction(24000, 1001), Fraction("29.97"): Fraction(30000, 1001)}
    rate = known.get(rate, rate)
    if rate <= 0 or rate > 1000:
        return default
    return rate.limit_denominator(1001)


def frame_timecode(frame: int, fps: Fraction) -> str:
    """SMPTE timecode (non-drop) of a frame number counted from 00:00:00:00."""
    base = max(1, round(float(fps)))
    frame = max(0, frame)
    frames = frame % base
    seconds = frame // base
    return f"{seconds // 3600 % 24:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}:{frames:02d}"


@dataclass(frozen=True)
class ReviewKeys:
    """Where a Version's review media live in storage (docs/review_media.md)."""

    thumbnail: str
    proxy: str
    record: str


def review_keys(version_key: str, code: str, thumbnail_format: str = "jpg") -> ReviewKeys:
    """Keys beside the Version's media, in ``<its folder>/review/``."""
    folder = posixpath.join(posixpath.dirname(version_key), REVIEW_FOLDER)
    return ReviewKeys(
        thumbnail=posixpath.join(folder, f"{code}.thumb.{thumbnail_format}"),
        proxy=posixpath.join(folder, f"{code}.proxy.mp4"),
        record=posixpath.join(folder, f"{code}.review.json"),
    )


@dataclass(frozen=True)
class ReviewAttachment:
    """A Version's stored review media, as handed to a tracker.

    ``*_file`` are local copies (what ShotGrid uploads); ``*_uri`` are where
    storage keeps them (what the local tracker records); ``record`` is the
    stored JSON record (checksums, sizes, rate, timecode, colour).
    """

    thumbnail_file: str | None
    proxy_file: str | None
    thumbnail_uri: str | None
    proxy_uri: str | None
    record_uri: str
    record: Mapping[str, object]
