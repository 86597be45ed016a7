"""Thumbnail + review movie: OnePiece beside the ``ffmpeg`` command line, same run.

Two inputs, made by the benchmark: a 2K EXR sequence (2048x1080, half float,
ZIP, scene-linear) and a ProRes 422 HQ movie (1920x1080, 24 fps). For each,
OnePiece makes its thumbnail and H.264 proxy (``make_sequence``,
``make_movie``) in a child process; the peer is ffmpeg (Debian's package)
making the same two files with the same encoder settings (libx264 veryfast,
CRF 20, yuv420p, faststart, 1920 wide; a 480-wide JPEG of the middle frame).
Wall time and the peak RSS of each child (``wait4``) are reported; goal:
<= 1.3x ffmpeg's wall time, memory flat. ffmpeg applies no colour transform
to the EXRs (OnePiece converts them with OCIO: more work, the right picture).

    python -m bench.review_media [--frames 1000] [--seconds 120] [--no-write]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

from bench.report import update_section

FPS = 24


def make_inputs(folder: Path, frames: int, seconds: int) -> tuple[Path, Path]:
    import av
    import numpy as np
    import OpenImageIO as oiio

    plates = folder / "plates"
    plates.mkdir()
    spec = oiio.ImageSpec(2048, 1080, 3, oiio.HALF)
    spec.attribute("compression", "zip")
    ramp = np.linspace(0.0, 4.0, 2048, dtype=np.float32)[None, :, None]
    for index in range(frames):
        pixels = np.broadcast_to(ramp * (0.5 + (index % 48) / 48.0), (1080, 2048, 3))
        path = plates / f"plate.{1001 + index:04d}.exr"
        output = oiio.ImageOutput.create(str(path))
        output.open(str(path), spec)
        output.write_image(np.ascontiguousarray(pixels, dtype=np.float32))
        output.close()
    movie = folder / "clip.mov"
    with av.open(str(movie), "w") as container:
        stream = container.add_stream("prores_ks", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = 1920, 1080, "yuv422p10le"
        stream.options = {"profile": "3"}
        base = np.linspace(0, 255, 1920).astype(np.int64)[None, :, None]
        for index in range(seconds * FPS):
            rgb = np.broadcast_to((base + index) % 256, (1080, 1920, 3)).astype(np.uint8)
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
            container.mux(stream.encode(frame.reformat(format="yuv422p10le")))
        container.mux(stream.encode(None))
    return plates, movie


def run_ours(kind: str, source: Path, out: Path) -> None:
    """In the child: make one Version's review media the way the worker does."""
    from onepiece.services.review_media.movies import make_movie
    from onepiece.services.review_media.options import ReviewOptions
    from onepiece.services.review_media.sequences import make_sequence

    options = ReviewOptions()
    if kind == "sequence":
        frames = {int(p.name.split(".")[1]): p for p in sorted(source.glob("plate.*.exr"))}
        made = make_sequence(frames, out, "plate", Fraction(FPS), options)
    else:
        made = make_movie(source, out, "clip", options)
    if made.problems or made.proxy is None or made.thumbnail is None:
        raise SystemExit(f"review media not made: {made.problems}")


def measure(argv: list[str]) -> tuple[float, float]:
    """(wall seconds, peak RSS MiB) of one child process."""
    start = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        err = process.stderr.read().decode(errors="replace") if process.stderr else ""
        raise SystemExit(f"{argv[0]} failed: {err[-500:]}")
    return wall, usage.ru_maxrss / 1024


def ffmpeg_commands(kind: str, source: Path, out: Path, frames: int) -> list[list[str]]:
    x264 = ["-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p"]
    scale = ["-vf", "scale=1920:-2"]
    if kind == "sequence":
        seq = [
            "-framerate",
            str(FPS),
            "-start_number",
            "1001",
            "-i",
            str(source / "plate.%04d.exr"),
        ]
        middle = [
            "-start_number",
            str(1001 + (frames - 1) // 2),
            "-i",
            str(source / "plate.%04d.exr"),
        ]
        movie = ["ffmpeg", "-v", "error", "-y", *seq, *scale, *x264]
        thumb = ["ffmpeg", "-v", "error", "-y", *middle]
    else:
        movie = ["ffmpeg", "-v", "error", "-y", "-i", str(source), *scale, *x264]
        middle_s = f"{(frames - 1) // 2 / FPS:.3f}"
        thumb = ["ffmpeg", "-v", "error", "-y", "-ss", middle_s, "-i", str(source)]
    return [
        [*movie, "-movflags", "+faststart", str(out / "peer.mp4")],
        [*thumb, "-frames:v", "1", "-vf", "scale=480:-2", "-q:v", "3", str(out / "peer.jpg")],
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--frames", type=int, default=1000, help="EXR frames (2K)")
    parser.add_argument("--seconds", type=int, default=120, help="ProRes movie length")
    parser.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    parser.add_argument(
        "--child", nargs=3, metavar=("KIND", "SOURCE", "OUT"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.child:
        run_ours(args.child[0], Path(args.child[1]), Path(args.child[2]))
        return
    if shutil.which("ffmpeg") is None:
        raise SystemExit("ffmpeg is not installed: apt-get install ffmpeg (Debian's package)")
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-review-") as scratch:
        root = Path(scratch)
        plates, movie = make_inputs(root, args.frames, args.seconds)
        for kind, source, count in (
            ("sequence", plates, args.frames),
            ("movie", movie, args.seconds * FPS),
        ):
            out = root / f"out-{kind}"
            out.mkdir()
            ours = measure(
                [sys.executable, "-m", "bench.review_media", "--child", kind, str(source), str(out)]
            )
            peer_wall, peer_rss = 0.0, 0.0
            for command in ffmpeg_commands(kind, source, out, count):
                wall, rss = measure(command)
                peer_wall, peer_rss = peer_wall + wall, max(peer_rss, rss)
            rows.append({"kind": kind, "count": count, "ours": ours, "peer": (peer_wall, peer_rss)})
    print(json.dumps(rows, indent=2))
    labels = {
        "sequence": f"{args.frames} frames 2K EXR (half, ZIP) -> thumbnail + proxy",
        "movie": f"{args.seconds} s ProRes 422 HQ 1080p24 -> thumbnail + proxy",
    }
    lines = [
        "## Review media (`bench/review_media.py`)",
        "",
        "OnePiece (OIIO + OCIO + PyAV, one process) beside the `ffmpeg` command line "
        "(Debian's package: one process for the proxy, one for the thumbnail), same run, "
        "same x264 settings (veryfast, CRF 20, yuv420p, 1920 wide, faststart). ffmpeg "
        "applies no colour transform to the EXRs; OnePiece converts them with OCIO.",
        "",
        "| input | ffmpeg s | onepiece s | ratio | ffmpeg peak RSS | onepiece peak RSS |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        (ours_wall, ours_rss), (peer_wall, peer_rss) = row["ours"], row["peer"]
        lines.append(
            f"| {labels[row['kind']]} | {peer_wall:.1f} | {ours_wall:.1f} | "
            f"**{ours_wall / peer_wall:.2f}x** | {peer_rss:.0f} MiB | {ours_rss:.0f} MiB |"
        )
    lines += ["", "Goal: <= 1.3x ffmpeg's wall time, memory flat (frames are streamed)."]
    table = "\n".join(lines)
    print(table)
    if not args.no_write:
        update_section("review_media", table)


if __name__ == "__main__":
    main()
