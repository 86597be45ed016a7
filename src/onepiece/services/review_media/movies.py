"""A movie Version (MOV, MP4, MXF...) to a thumbnail and an H.264 review proxy, with PyAV.

One decode pass feeds both: every frame goes to the proxy at the source's
frame rate; the middle frame (by the stream's frame count, else its
duration) becomes the thumbnail. Movies are display-referred already (Rec.709
video), so no OCIO transform applies. The timecode comes from the stream,
the container or the ``tmcd`` track, whichever carries it.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from onepiece.domain.review_media import fit_width
from onepiece.services.review_media.derivatives import Derivatives
from onepiece.services.review_media.encode import ProxyWriter, write_thumbnail
from onepiece.services.review_media.options import ReviewOptions

MOVIE_EXTENSIONS = frozenset({"mov", "mp4", "m4v", "mxf", "avi", "mkv", "webm", "mpg", "mpeg"})


def _timecode(container: Any, stream: Any) -> str | None:
    for source in (stream, container, *container.streams.data):
        value = source.metadata.get("timecode")
        if value:
            return str(value)
    return None


def make_movie(source: Path, workdir: Path, stem: str, options: ReviewOptions) -> Derivatives:
    import av  # noqa: TID251 - heavy, only when a movie is decoded

    made = Derivatives()
    if not source.is_file() or source.stat().st_size == 0:
        made.problems.append(f"{source.name}: empty or missing file")
        return made
    proxy_path = workdir / f"{stem}.proxy.mp4"
    thumb_path = workdir / f"{stem}.thumb.{options.thumbnail_format}"
    thumb: Any = None
    try:
        with av.open(str(source)) as container:
            if not container.streams.video:
                made.problems.append(f"{source.name}: no video stream")
                return made
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            fps = Fraction(stream.average_rate or stream.guessed_rate or options.default_fps)
            timecode = _timecode(container, stream)
            expected = stream.frames or int(float(container.duration or 0) / av.time_base * fps)
            middle = max(0, (expected - 1) // 2)
            pixel_aspect = float(stream.sample_aspect_ratio or 1)
            size = fit_width(stream.width, stream.height, options.proxy_max_width, pixel_aspect)
            with ProxyWriter(proxy_path, *size, fps, timecode, options.proxy_crf) as proxy:
                for frame in container.decode(stream):
                    if proxy.frames == middle or thumb is None:
                        thumb = frame
                    proxy.add_frame(frame)
                frames = proxy.frames
    except (av.FFmpegError, OSError, ValueError) as exc:
        proxy_path.unlink(missing_ok=True)
        made.problems.append(f"{source.name}: cannot decode: {exc}")
    else:
        if frames:
            made.proxy = proxy_path
        else:
            made.problems.append(f"{source.name}: no frame could be decoded")
        made.details.update(
            {"fps": str(fps), "frames": frames, "timecode": timecode, "colour": "as delivered"}
        )
    if thumb is not None:
        width, height = fit_width(thumb.width, thumb.height, options.thumbnail_width, pixel_aspect)
        small = thumb.reformat(width=width, height=height, format="rgb24", interpolation="AREA")
        try:
            write_thumbnail(thumb_path, np.asarray(small.to_ndarray(), dtype=np.uint8))
            made.thumbnail = thumb_path
        except OSError as exc:
            made.problems.append(f"{source.name}: thumbnail: {exc}")
    return made
