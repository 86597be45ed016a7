"""Clip durations: the tracker's figure, else PyAV probes the file once and caches it."""

from __future__ import annotations

import json
import os
from pathlib import Path

import av
import numpy as np
import pytest

from onepiece.domain.entities import Version
from onepiece.services.dashboard.media_durations import MediaDurations, local_media_path


def write_clip(path: Path, frames: int = 48, fps: int = 24) -> None:
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for index in range(frames):
            image = np.full((48, 64, 3), index * 5 % 255, dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            container.mux(stream.encode(frame))
        container.mux(stream.encode())


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    path = tmp_path / "FG_sh010_comp_v001.mp4"
    write_clip(path)
    return path


def test_probed_duration_is_cached_on_disk_and_not_probed_again(clip: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache" / "media-durations.json"
    version = Version("FG", "v1", path=str(clip))
    first = MediaDurations(cache).durations([version])["v1"]
    assert first == pytest.approx(2.0, abs=0.1)
    assert json.loads(cache.read_text())[str(clip)]["seconds"] == first

    # Same size and modification time but unreadable content: a re-probe would fail,
    # so a correct answer proves the cached figure was used.
    stat = clip.stat()
    clip.write_bytes(b"\0" * stat.st_size)
    os.utime(clip, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert MediaDurations(cache).durations([version])["v1"] == first


def test_a_changed_file_is_probed_again(clip: Path, tmp_path: Path) -> None:
    cache = tmp_path / "media-durations.json"
    durations = MediaDurations(cache)
    version = Version("FG", "v1", path=clip.as_uri())
    assert durations.durations([version])["v1"] == pytest.approx(2.0, abs=0.1)
    write_clip(clip, frames=96)
    assert durations.durations([version])["v1"] == pytest.approx(4.0, abs=0.1)


def test_tracker_duration_wins_and_nothing_is_probed(clip: Path, tmp_path: Path) -> None:
    cache = tmp_path / "media-durations.json"
    version = Version("FG", "v1", path=str(clip), duration_seconds=9.5)
    assert MediaDurations(cache).durations([version]) == {"v1": 9.5}
    assert not cache.exists()


def test_unprobeable_remote_and_sequence_media(tmp_path: Path) -> None:
    junk = tmp_path / "junk.mov"
    junk.write_bytes(b"not a movie")
    versions = [
        Version("FG", "junk", path=str(junk)),
        Version("FG", "remote", path="s3://bucket/FG/clip.mov"),
        Version(
            "FG",
            "seq",
            path="/shows/FG/comp.####.exr",
            frame_first=1001,
            frame_last=1048,
            metadata={"fps": 24},
        ),
        Version("FG", "missing", path=str(tmp_path / "gone.mov")),
    ]
    found = MediaDurations(tmp_path / "d.json").durations(versions)
    assert found == {"junk": None, "remote": None, "seq": 2.0, "missing": None}


def test_local_media_path_understands_file_uris_and_rejects_remote_ones() -> None:
    assert local_media_path("file:///shows/a%20b.mov") == Path("/shows/a b.mov")
    assert local_media_path("/shows/a.mov") == Path("/shows/a.mov")
    assert local_media_path("s3://b/k.mov") is None
    assert local_media_path("/shows/a.%04d.exr") is None


@pytest.mark.parametrize(
    "pattern", ["a.####.exr", "a.#.exr", "a.@@@.exr", "a.%4d.exr", "a.%04d.exr", "a.$F4.exr"]
)
def test_every_frame_padding_token_marks_a_sequence_not_a_movie(pattern: str) -> None:
    assert local_media_path(f"/shows/{pattern}") is None
    assert local_media_path((Path("/shows") / pattern).as_uri()) is None
    if "%0" in pattern:
        assert local_media_path(f"file:///shows/{pattern}") is None  # written unencoded


def test_a_percent_encoded_space_is_not_a_padding_token() -> None:
    assert local_media_path("file:///shows/a%20dog.mov") == Path("/shows/a dog.mov")
