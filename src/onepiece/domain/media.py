"""Group delivered files into media items: one per Version.

A single file (``..._v004.mov``) is one item. Frame files
(``..._v004.1001.exr``, ``..._v004.1002.exr``, ...) in the same folder with the
same code and extension are ONE item with a frame range; frames missing inside
the range are reported as ranges ("1005-1007") by fileseq. A Version code
delivered twice (a clip and a sequence, or the same name in two folders) is a
problem for every file involved: which one is the Version is not ours to guess.
"""

from __future__ import annotations

import posixpath
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from fileseq.frameset import FrameSet

from onepiece.domain.naming import ParsedName
from onepiece.domain.sequences import padding_chars, printf_pattern


@dataclass(frozen=True)
class MediaItem:
    code: str
    name: ParsedName  # the first file's name
    paths: tuple[str, ...]  # delivery-relative paths, in frame order
    frames: tuple[int, ...] = ()  # empty for a single file

    @property
    def is_sequence(self) -> bool:
        return bool(self.frames)

    @property
    def frame_first(self) -> int | None:
        return self.frames[0] if self.frames else None

    @property
    def frame_last(self) -> int | None:
        return self.frames[-1] if self.frames else None

    @property
    def frame_range(self) -> str | None:
        """Compact frame set, e.g. ``1001-1004,1008-1012``."""
        return str(FrameSet(list(self.frames))) if self.frames else None

    @property
    def missing_frames(self) -> str | None:
        """Frames missing between first and last, as ranges (``1005-1007``), or None."""
        if not self.frames:
            return None
        missing = FrameSet(list(self.frames)).invertedFrameRange()
        return str(missing) or None

    @property
    def filename(self) -> str:
        """The file name, or for a sequence a printf pattern (``...v004.%04d.exr``)."""
        if not self.is_sequence:
            return self.name.filename
        return sequence_pattern(self.name)

    @property
    def display_name(self) -> str:
        """How people read it: the file name or ``...v004.1001-1012#.exr``."""
        if not self.is_sequence:
            return self.name.filename
        pad = padding_chars(self.name.frame_width)
        prefix = self.name.filename[: self.name.filename.rindex(f".{self.name.ext}")]
        prefix = prefix[: len(prefix) - self.name.frame_width]
        return f"{prefix}{self.frame_range}{pad}.{self.name.ext}"


def sequence_pattern(name: ParsedName) -> str:
    """``FG_..._v004.1001.exr`` -> ``FG_..._v004.%04d.exr``."""
    suffix = f".{name.ext}"
    prefix = name.filename[: len(name.filename) - len(suffix) - name.frame_width]
    return printf_pattern(prefix, name.frame_width, suffix)


def _one_padding(members: Sequence[tuple[str, ParsedName]]) -> bool:
    """Whether every frame is written with one padding: ``.998 .999 .1000`` are (%03d:
    1000 is simply longer), ``.0999 .1000`` are (%04d), ``.999 .01000`` are not."""
    pad = min(name.frame_width for _, name in members)
    return all(
        name.frame is not None and name.frame_width == len(f"{name.frame:0{pad}d}")
        for _, name in members
    )


def group_media(
    files: Sequence[tuple[str, ParsedName]],
) -> tuple[list[MediaItem], dict[str, str]]:
    """Group parsed files into media items; returns (items, {path: problem})."""
    groups: dict[tuple[str, str, str, bool], list[tuple[str, ParsedName]]] = defaultdict(list)
    for path, name in files:
        folder = posixpath.dirname(path)
        groups[(folder, name.code, name.ext.lower(), name.is_frame)].append((path, name))

    problems: dict[str, str] = {}
    items: list[MediaItem] = []
    for (_folder, code, _ext, is_frame), members in sorted(groups.items()):
        members.sort(key=lambda m: (m[1].frame or 0, m[0]))
        if not is_frame:
            # Same folder, code and extension, no frame: only case-variants of one name.
            if len(members) > 1:
                for path, _ in members:
                    problems[path] = f"version {code} is delivered more than once in one folder"
                continue
            path, name = members[0]
            items.append(MediaItem(code, name, (path,)))
            continue
        seen: dict[int, str] = {}
        for path, name in members:
            assert name.frame is not None
            if name.frame in seen:
                problems[path] = f"frame {name.frame} is delivered twice (also {seen[name.frame]})"
                problems[seen[name.frame]] = f"frame {name.frame} is delivered twice (also {path})"
            seen.setdefault(name.frame, path)
        if not _one_padding(members):
            widths = sorted({name.frame_width for _, name in members})
            for path, _ in members:
                problems.setdefault(path, f"sequence {code} mixes frame paddings {widths}")
        paths = tuple(path for path, _ in members)
        if any(path in problems for path in paths):
            for path in paths:
                problems.setdefault(path, f"another frame of {code} is invalid")
            continue
        frames = tuple(name.frame for _, name in members if name.frame is not None)
        items.append(MediaItem(code, members[0][1], paths, frames))

    # A code delivered as more than one item cannot become one Version.
    by_code: dict[str, list[MediaItem]] = defaultdict(list)
    for item in items:
        by_code[item.code.upper()].append(item)
    kept: list[MediaItem] = []
    for same in by_code.values():
        if len(same) == 1:
            kept.append(same[0])
            continue
        where = ", ".join(
            posixpath.join(posixpath.dirname(item.paths[0]), item.display_name) for item in same
        )
        for item in same:
            for path in item.paths:
                problems[path] = f"version {item.code} is delivered more than once ({where})"
    kept.sort(key=lambda item: item.paths[0])
    return kept, problems
