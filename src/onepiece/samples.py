"""Sample deliveries with real media, for ``make demo``, the tests and the benchmarks.

``make_delivery`` writes a few short QuickTime clips (H.264, or MPEG-4 part 2
where x264 is missing) and an OpenEXR frame sequence with a deliberate gap,
all encoded by PyAV from numpy frames, plus an md5 manifest (CSV or JSON)
that can carry one deliberate checksum error. ``filler_delivery`` writes
large incompressible files under valid names for transfer benchmarks, where
encoding a gigabyte of video would only measure the encoder.

Public so users can try OnePiece on something real without their own media.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

from onepiece.atomicio import write_bytes as _atomic_write_bytes
from onepiece.atomicio import write_text as _atomic_write_text
from onepiece.domain.manifest import MANIFEST_FIELDS
from onepiece.domain.naming import format_name

ManifestKind = Literal["csv", "json"]


@dataclass
class SampleDelivery:
    folder: Path
    files: list[Path] = field(default_factory=list)
    manifest: Path | None = None
    bad_checksum: str | None = None  # delivery path whose manifest checksum is wrong
    missing_frames: str | None = None  # e.g. "1005-1007"


def write_clip(
    path: Path,
    *,
    seconds: float = 2.0,
    fps: int = 24,
    size: tuple[int, int] = (160, 90),
    seed: int = 0,
) -> None:
    """A short moving-gradient QuickTime clip, written atomically."""
    import av  # noqa: TID251 - media is only written here
    import numpy as np

    width, height = size
    codec = "libx264" if _has_encoder("libx264") else "mpeg4"
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mov") as container:
        stream = container.add_stream(codec, rate=fps)
        assert isinstance(stream, av.VideoStream)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        grid_x, grid_y = np.meshgrid(np.arange(width), np.arange(height))
        for index in range(max(1, int(seconds * fps))):
            shift = index * 7 + seed * 53
            channels = [
                grid_x * 255 // width + shift,
                grid_y * 255 // height + shift,
                grid_x + grid_y,
            ]
            image = (np.stack(channels, axis=2) % 256).astype(np.uint8)
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    write_bytes(path, buffer.getvalue())


def write_exr_frame(path: Path, frame: int, *, size: tuple[int, int] = (64, 36)) -> None:
    """One OpenEXR image (32-bit float RGB) whose content depends on ``frame``."""
    import av  # noqa: TID251
    import numpy as np

    width, height = size
    context = av.CodecContext.create("exr", "w")
    context.width, context.height, context.pix_fmt = width, height, "gbrpf32le"
    context.time_base = Fraction(1, 24)
    rng = np.random.default_rng(frame)
    image = rng.random((height, width, 3), dtype=np.float32)
    source = av.VideoFrame.from_ndarray(image, format="rgbf32le").reformat(format="gbrpf32le")
    packets = [*context.encode(source), *context.encode(None)]
    write_bytes(path, b"".join(bytes(packet) for packet in packets))


def make_delivery(
    folder: Path,
    *,
    show: str = "FG",
    episode: str = "ep010",
    scene: str = "sc02",
    clips: int = 3,
    clip_seconds: float = 2.0,
    frames: Sequence[int] = (1001, 1012),
    gap: tuple[int, int] | None = (1005, 1007),
    manifest: ManifestKind | None = "csv",
    checksum_error: bool = True,
) -> SampleDelivery:
    """A delivery with real media; the manifest goes beside the folder, not inside."""
    folder.mkdir(parents=True, exist_ok=True)
    delivery = SampleDelivery(folder)
    for index in range(clips):
        shot = f"{(index + 1) * 10:04d}"
        name = format_name(show, episode, scene, shot, "comp", index + 1, "mov")
        write_clip(folder / name, seconds=clip_seconds, seed=index)
        delivery.files.append(folder / name)
    first, last = frames
    holes = set(range(gap[0], gap[1] + 1)) if gap else set()
    plates = folder / "plates"
    for frame in range(first, last + 1):
        if frame in holes:
            continue
        name = format_name(show, episode, scene, "0100", "plate", 1, "exr", frame=frame)
        write_exr_frame(plates / name, frame)
        delivery.files.append(plates / name)
    if gap:
        delivery.missing_frames = f"{gap[0]}-{gap[1]}" if gap[1] > gap[0] else str(gap[0])
    if manifest:
        bad = delivery.files[0] if checksum_error else None
        path = folder.parent / f"{folder.name}_manifest.{manifest}"
        write_manifest(path, manifest_rows(folder, delivery.files, bad=bad), manifest)
        delivery.manifest = path
        delivery.bad_checksum = bad.relative_to(folder).as_posix() if bad else None
    return delivery


def manifest_rows(
    folder: Path, files: Iterable[Path], *, bad: Path | None = None, algorithm: str = "md5"
) -> list[dict[str, Any]]:
    """Manifest rows for delivered files (parsed from their names), hashed with ``algorithm``."""
    from onepiece.domain.naming import compile_rules, parse_name

    rules = compile_rules()
    rows = []
    for path in sorted(files):
        name = parse_name(path.name, rules)
        digest = hashlib.new(algorithm, path.read_bytes()).hexdigest()
        if path == bad:  # the deliberate error: one digit off
            digest = digest[:-1] + ("0" if digest[-1] != "0" else "1")
        rows.append(
            {
                "show": name.show,
                "episode": name.episode,
                "scene": name.scene,
                "shot": name.shot,
                "asset": name.asset,
                "version": f"v{name.version:03d}",
                "source_path": f"/vendor/renders/{path.name}",
                "delivery_path": path.relative_to(folder).as_posix(),
                "checksum": f"{algorithm}:{digest}",
            }
        )
    return rows


def write_manifest(path: Path, rows: Sequence[dict[str, Any]], kind: ManifestKind) -> None:
    if kind == "json":
        write_text(path, json.dumps({"files": list(rows)}, indent=2) + "\n")
        return
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(MANIFEST_FIELDS), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    write_text(path, buffer.getvalue())


def filler_delivery(
    folder: Path,
    *,
    show: str = "FG",
    large_files: int = 4,
    large_size: int = 128 * 1024 * 1024,
    frames: int = 2000,
    frame_size: int = 256 * 1024,
    small_files: int = 0,
    small_size: int = 4096,
) -> list[Path]:
    """Incompressible data under valid delivery names (benchmarks: transfer, not encoding)."""
    written: list[Path] = []
    for index in range(large_files):
        name = format_name(show, "ep010", "sc01", f"{index + 1:04d}", "comp", 1, "mov")
        written.append(_random_file(folder / name, large_size))
    for frame in range(1001, 1001 + frames):
        name = format_name(show, "ep010", "sc01", "0500", "plate", 1, "exr", frame=frame)
        written.append(_random_file(folder / "plates" / name, frame_size))
    for index in range(small_files):
        name = format_name(show, "ep020", "sc01", f"{index:05d}", "cam", 1, "json")
        written.append(_random_file(folder / "small" / name, small_size))
    return written


def _random_file(path: Path, size: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        remaining = size
        while remaining:
            chunk = os.urandom(min(remaining, 8 * 1024 * 1024))
            handle.write(chunk)
            remaining -= len(chunk)
    return path


def _has_encoder(name: str) -> bool:
    import av  # noqa: TID251

    try:
        av.codec.Codec(name, "w")
    except (ValueError, av.error.FFmpegError):
        return False
    return True


def write_bytes(path: Path, data: bytes) -> None:
    """Atomic, and readable by everyone like any delivered file (temp files are 0600)."""
    _atomic_write_bytes(path, data)
    os.chmod(path, 0o644)


def write_text(path: Path, text: str) -> None:
    _atomic_write_text(path, text)
    os.chmod(path, 0o644)
