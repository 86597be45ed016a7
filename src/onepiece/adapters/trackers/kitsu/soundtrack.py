"""A silent soundtrack for review movies that have none, before Kitsu gets them.

zou normalises every uploaded movie; one without audio first gets an empty
soundtrack and is then trimmed back by stream copy, which (with Debian's
ffmpeg 5.1) drops every video packet: the preview ends ``broken``. A movie
that already carries an audio track skips that path, so OnePiece's silent
proxies are remuxed here (video copied, not re-encoded) with silent AAC.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

SAMPLE_RATE = 48000
CHUNK = 1024  # samples per AAC frame


def has_audio(movie: Path) -> bool:
    import av  # noqa: TID251

    with av.open(str(movie)) as container:
        return bool(container.streams.audio)


def with_silent_track(movie: Path, target: Path) -> Path:
    """``movie`` remuxed to ``target`` with a silent stereo AAC track as long as its video."""
    import av  # noqa: TID251
    import numpy as np

    with av.open(str(movie)) as source, av.open(str(target), "w", format="mp4") as output:
        video_in = source.streams.video[0]
        video_out = output.add_stream_from_template(video_in)
        audio = output.add_stream("aac", rate=SAMPLE_RATE, layout="stereo")
        end = Fraction(0)
        for packet in source.demux(video_in):
            if packet.dts is None:  # the demuxer's flush packet
                continue
            if packet.pts is not None and packet.duration and packet.time_base is not None:
                end = max(end, (packet.pts + packet.duration) * packet.time_base)
            packet.stream = video_out
            output.mux(packet)
        silence = np.zeros((2, CHUNK), dtype=np.float32)
        for start in range(0, int(end * SAMPLE_RATE), CHUNK):
            frame = av.AudioFrame.from_ndarray(silence, format="fltp", layout="stereo")
            frame.sample_rate, frame.pts = SAMPLE_RATE, start
            for packet in audio.encode(frame):
                output.mux(packet)
        for packet in audio.encode():
            output.mux(packet)
    return target
