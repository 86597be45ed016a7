"""A frame sequence Version to a thumbnail and an H.264 review proxy.

Frames are read with OpenImageIO and converted to display with OCIO
(``stills``); a review movie's plain RGB(A) EXRs with FFmpeg's EXR decoder
(``exr_frames``). The proxy has one frame per frame number from first to last
(``plan_frames``): a gap, or a frame that cannot be read, holds the picture
before it and is listed in the details. Its timecode is the first frame's
header timecode, else the first frame number at the sequence's rate.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Generator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from fractions import Fraction
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from onepiece.domain.review_media import (
    fit_width,
    frame_ranges,
    frame_timecode,
    plan_frames,
    thumbnail_frame,
)
from onepiece.services.review_media.colour import ColourError, describe
from onepiece.services.review_media.derivatives import Derivatives
from onepiece.services.review_media.encode import ProxyWriter, write_thumbnail
from onepiece.services.review_media.exr_frames import display_frame_fast
from onepiece.services.review_media.options import ReviewOptions
from onepiece.services.review_media.stills import (
    StillError,
    display_frame,
    display_still,
    probe,
)

_READ_ERRORS = (StillError, ColourError, OSError, ValueError)
READERS = 2  # frames read and converted at once, beside the encoder's own threads
PREFETCH = 4
THUMBNAIL_TRIES = 3


def make_sequence(
    frames: Mapping[int, Path],
    workdir: Path,
    stem: str,
    fps: Fraction,
    options: ReviewOptions,
) -> Derivatives:
    made = Derivatives()
    try:
        planned = plan_frames({number: str(path) for number, path in frames.items()})
    except ValueError as exc:
        made.problems.append(str(exc))
        return made
    # The middle frame, else the nearest readable one (a few tries: bad media stay cheap).
    middle = thumbnail_frame(frames)
    candidates = sorted(frames, key=lambda number: (abs(number - middle), number))
    thumb_path = workdir / f"{stem}.thumb.{options.thumbnail_format}"
    failure: Exception | None = None
    for number in candidates[:THUMBNAIL_TRIES]:
        try:
            picture, _ = display_still(frames[number], options.thumbnail_width, options)
            write_thumbnail(thumb_path, picture)
            made.thumbnail = thumb_path
            break
        except _READ_ERRORS as exc:
            failure = failure or exc
    if made.thumbnail is None:
        made.problems.append(f"thumbnail: {failure}")

    # The movie's size comes from the first frame whose header reads (a broken first
    # frame must not cost the whole movie: it is shown black and reported).
    first = frames[planned[0].frame]
    info = None
    for number in sorted(frames):
        try:
            info = probe(frames[number])
            break
        except _READ_ERRORS as exc:
            made.details.setdefault("first_unreadable", str(exc))
    if info is None:
        made.problems.append(f"proxy: no frame could be read ({made.details['first_unreadable']})")
        return made
    size = fit_width(info.width, info.height, options.proxy_max_width, info.pixel_aspect)
    timecode = info.timecode or frame_timecode(planned[0].frame, fps)
    colorspace = options.colorspace_for(first.suffix)
    unreadable: list[int] = []
    readers: Counter[str] = Counter()  # which decoder read the frames (exr_frames)
    proxy_path = workdir / f"{stem}.proxy.mp4"
    delivered = [Path(item.source) for item in planned if not item.held]
    with ProxyWriter(proxy_path, *size, fps, timecode, options.proxy_crf) as proxy:
        pictures = _prefetched(delivered, options, proxy)
        picture_rgb: NDArray[np.uint8] = np.zeros((size[1], size[0], 3), dtype=np.uint8)
        try:
            for item in planned:
                if item.held:  # shows the picture already in hand again
                    proxy.add_rgb(picture_rgb)
                    continue
                outcome = next(pictures)
                if isinstance(outcome, Exception):
                    unreadable.append(item.frame)
                    made.details.setdefault("first_unreadable", str(outcome))
                    proxy.add_rgb(picture_rgb)
                else:
                    picture_rgb, prepared, reader = outcome
                    proxy.add_prepared(prepared)
                    readers[reader] += 1
        finally:
            pictures.close()  # stops the readers when encoding fails part-way
    if len(unreadable) == len(frames):
        proxy_path.unlink(missing_ok=True)
        made.problems.append(f"proxy: no frame could be read ({made.details['first_unreadable']})")
    else:
        made.proxy = proxy_path
    if unreadable:
        made.problems.append(f"frames {frame_ranges(unreadable)} unreadable: previous frame held")
    held = [item.frame for item in planned if item.held]
    made.details.update(
        {
            "fps": str(fps),
            "frames": len(planned),
            "first_frame": planned[0].frame,
            "held_frames": frame_ranges(held) if held else None,
            "timecode": timecode,
            "channels": info.channels.description,
            "colour": _describe(options, colorspace),
            "frames_read_by": dict(sorted(readers.items())),
        }
    )
    return made


def _prefetched(
    paths: list[Path], options: ReviewOptions, proxy: ProxyWriter
) -> Generator[tuple[NDArray[np.uint8], Any, str] | Exception, None, None]:
    """(display picture, frame ready to encode, decoder) of ``paths`` in order, read,
    converted and scaled ahead in threads while the caller encodes (the decoders, OCIO
    and swscale release the GIL); at most PREFETCH frames in memory."""

    def work(path: Path) -> tuple[NDArray[np.uint8], Any, str]:
        picture = display_frame_fast(path, options)
        reader = "ffmpeg"
        if picture is None:
            picture, _ = display_frame(path, options)
            reader = "openimageio"
        return picture, proxy.prepare_rgb(picture), reader

    with ThreadPoolExecutor(max_workers=READERS, thread_name_prefix="review-read") as pool:
        pending: deque[Future[tuple[NDArray[np.uint8], Any, str]]] = deque()
        upcoming = iter(paths)
        for path in islice(upcoming, PREFETCH):
            pending.append(pool.submit(work, path))
        while pending:
            future = pending.popleft()
            for path in islice(upcoming, 1):
                pending.append(pool.submit(work, path))
            try:
                yield future.result()
            except _READ_ERRORS as exc:
                yield exc


def _describe(options: ReviewOptions, colorspace: str) -> str:
    try:
        return describe(options, colorspace)
    except ColourError as exc:
        return str(exc)
