"""Write the derivatives: a thumbnail (OpenImageIO) and an H.264 MP4 (PyAV).

The movie is what browsers and trackers play everywhere: H.264 High, yuv420p,
BT.709 (tagged, and converted with the BT.709 matrix), the ``moov`` atom
first (``faststart``) so playback starts before the download ends, a
constant frame rate, and the source's timecode as an MP4 ``tmcd`` track.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
from numpy.typing import NDArray

BT709 = 1  # AVCOL_PRI_BT709 / AVCOL_TRC_BT709 / AVCOL_SPC_BT709
LIMITED_RANGE = 1  # AVCOL_RANGE_MPEG: what players expect from H.264


def write_thumbnail(path: Path, rgb: NDArray[np.uint8]) -> None:
    import OpenImageIO as oiio  # noqa: TID251 - heavy, only when pixels are written

    height, width = rgb.shape[:2]
    spec = oiio.ImageSpec(width, height, 3, oiio.UINT8)
    if path.suffix.lower() in (".jpg", ".jpeg"):
        spec.attribute("Compression", "jpeg:90")
    output = oiio.ImageOutput.create(str(path))
    if output is None or not output.open(str(path), spec):
        raise OSError(f"cannot write {path.name}: {oiio.geterror()}")
    try:
        if not output.write_image(np.ascontiguousarray(rgb)):
            raise OSError(f"cannot write {path.name}: {output.geterror()}")
    finally:
        output.close()


class ProxyWriter:
    """``with ProxyWriter(path, w, h, fps, timecode) as movie: movie.add_rgb(...)``."""

    def __init__(
        self,
        path: Path,
        width: int,
        height: int,
        fps: Fraction,
        timecode: str | None = None,
        crf: int = 20,
    ) -> None:
        import av  # noqa: TID251 - heavy, only when a movie is written

        self.frames = 0
        self._frame_time = Fraction(1) / fps
        self._container: Any = av.open(
            str(path), "w", format="mp4", options={"movflags": "+faststart"}
        )
        try:
            if timecode:
                self._container.metadata["timecode"] = timecode
            stream = self._container.add_stream("libx264", rate=fps)
            stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
            stream.options = {"crf": str(crf), "preset": "veryfast", "profile": "high"}
            context = stream.codec_context
            # Frame threads, as the ffmpeg command line uses: PyAV's default (slice threads)
            # makes x264 cut each picture into slices, some 10% larger at the same quality.
            context.thread_type = "AUTO"
            context.color_primaries = context.color_trc = context.colorspace = BT709
            context.color_range = LIMITED_RANGE
            self._stream = stream
        except BaseException:  # cleanup only: re-raised
            self._container.close()
            raise

    @property
    def size(self) -> tuple[int, int]:
        return int(self._stream.width), int(self._stream.height)

    def prepare_rgb(self, rgb: NDArray[np.uint8]) -> Any:
        """8-bit RGB as a frame ready for ``add_prepared`` (any thread: no shared state)."""
        import av  # noqa: TID251 - heavy, only when a movie is written

        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
        return self.prepare(frame)

    def prepare(self, frame: Any) -> Any:
        """Any frame scaled to the movie's size and converted to BT.709 yuv420p."""
        width, height = self.size
        return frame.reformat(
            width=width,
            height=height,
            format="yuv420p",
            dst_colorspace="ITU709",
            interpolation="BICUBIC",
        )

    def add_rgb(self, rgb: NDArray[np.uint8]) -> None:
        self.add_prepared(self.prepare_rgb(rgb))

    def add_frame(self, frame: Any) -> None:
        """Any decoded frame, scaled and converted here."""
        self.add_prepared(self.prepare(frame))

    def add_prepared(self, frame: Any) -> None:
        """A frame from ``prepare``; each is encoded once (prepare again to repeat one)."""
        # Constant rate whatever the source's timestamps: frame i at i / fps.
        frame.pts = self.frames
        frame.time_base = self._frame_time
        self._container.mux(self._stream.encode(frame))
        self.frames += 1

    def __enter__(self) -> ProxyWriter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if kind is None:
                self._container.mux(self._stream.encode(None))
        finally:
            self._container.close()
