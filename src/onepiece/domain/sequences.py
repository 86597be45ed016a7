"""Frame-sequence patterns: the padding tokens, their widths, and the frames behind them.

One rule for every part of OnePiece that reads or writes a sequence path,
fileseq's where it has one:

- ``#`` alone is 4 digits (fileseq's default padding style); a run of ``#``
  is one digit per ``#`` (``####`` = 4, ``##`` = 2, as Nuke and Houdini write it);
- ``@`` is one digit each (``@@@`` = 3);
- printf ``%04d`` / ``%4d`` is that many digits, ``%d`` one;
- Houdini ``$F4`` is that many digits, ``$F`` one.

A frame wider than its padding is written whole (``##`` with frame 123 is
``123``). ``<UDIM>`` marks a texture-tile set: several files behind one name,
but tiles, not frames, so it is never expanded into frames here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fileseq.constants import PAD_STYLE_HASH1
from fileseq.exceptions import ParseException
from fileseq.filesequence import FileSequence
from fileseq.frameset import FrameSet

from onepiece.errors import ValidationError

# A frame-padding token; the last one in a name is the frame number's place.
FRAME_TOKEN = re.compile(r"#+|@+|%0?\d*d|\$F\d*")
UDIM_TOKEN = "<UDIM>"
# fileseq's width of a lone "#" (its default PAD_STYLE_HASH4).
LONE_HASH_WIDTH = 4
# Blender's: every "#" is one digit (render_builtin mimics Blender's command line).
BLENDER_LONE_HASH_WIDTH = 1


@dataclass(frozen=True)
class FrameToken:
    """Where the frame number goes in a pattern, and how many digits it takes."""

    start: int
    end: int
    text: str

    @property
    def width(self) -> int:
        return padding_width(self.text)


def padding_width(token: str, *, lone_hash_width: int = LONE_HASH_WIDTH) -> int:
    """Digits a padding token stands for (see the module docstring)."""
    if token == "#":
        return lone_hash_width
    if not FRAME_TOKEN.fullmatch(token):
        raise ValueError(f"{token!r} is not a frame-padding token")
    # One digit per character for # and @ runs: fileseq's HASH1 style; fileseq
    # reads printf and Houdini widths the same in every style.
    return int(FileSequence.getPaddingNum(token, pad_style=PAD_STYLE_HASH1))


def padding_chars(width: int) -> str:
    """The token to write for ``width`` digits, read back as ``width`` by fileseq
    in either padding style and by ``padding_width``: ``#`` for 4, else ``@`` runs."""
    if width < 1:
        raise ValueError(f"frame width must be at least 1, not {width}")
    return "#" if width == LONE_HASH_WIDTH else "@" * width


def printf_pattern(head: str, width: int, tail: str) -> str:
    """``head`` + ``%0{width}d`` + ``tail``: the form written into storage keys."""
    return f"{head}%0{width}d{tail}"


def frame_token(name: str) -> FrameToken | None:
    """The frame-padding token of a sequence pattern (the last one), None for a single file."""
    matches = list(FRAME_TOKEN.finditer(name))
    if not matches:
        return None
    last = matches[-1]
    return FrameToken(last.start(), last.end(), last.group(0))


def is_frame_pattern(path: str) -> bool:
    """Does ``path`` name a frame sequence (it holds a padding token)?"""
    return FRAME_TOKEN.search(path) is not None


def is_file_pattern(path: str) -> bool:
    """Does ``path`` stand for several files (frames or UDIM tiles) rather than one?"""
    return UDIM_TOKEN in path or is_frame_pattern(path)


def frame_name(pattern: str, frame: int, *, lone_hash_width: int = LONE_HASH_WIDTH) -> str:
    """``sh.####.exr`` with frame 7 -> ``sh.0007.exr``. Raises ValueError without a token.

    ``lone_hash_width``: only for a writer that must follow another tool's
    reading of a lone ``#`` (``BLENDER_LONE_HASH_WIDTH``).
    """
    token = frame_token(pattern)
    if token is None:
        raise ValueError(f"{pattern!r} has no frame-padding token")
    width = padding_width(token.text, lone_hash_width=lone_hash_width)
    return f"{pattern[: token.start]}{frame:0{width}d}{pattern[token.end :]}"


def expand_frames(
    name: str,
    frame_range: str | None,
    first: int | None,
    last: int | None,
) -> list[tuple[int, str]]:
    """(frame, file name) for every frame of a sequence pattern.

    The frame set comes from ``frame_range`` (fileseq syntax, gaps allowed)
    or else ``first``-``last``. Raises ValidationError when neither is known.
    """
    if frame_token(name) is None:
        raise ValidationError(f"{name!r} is not a sequence pattern")
    if frame_range:
        try:
            frames = [int(f) for f in FrameSet(frame_range)]
        except ParseException as exc:
            raise ValidationError(f"bad frame range {frame_range!r}") from exc
    elif first is not None and last is not None and first <= last:
        frames = list(range(first, last + 1))
    else:
        raise ValidationError(f"sequence {name!r} has no frame range")
    return [(frame, frame_name(name, frame)) for frame in frames]
