"""Thumbnail + review movie: OnePiece beside the ``ffmpeg`` command line, same run.

Two inputs, made by the benchmark: a 2K EXR sequence (2048x1080, half float,
ZIP, scene-linear) and a ProRes 422 HQ movie (1920x1080, 24 fps). For each,
OnePiece makes its thumbnail and H.264 proxy (``make_sequence``,
``make_movie``) in a child process; the peer is ffmpeg (Debian's package)
making the same two files with the same encoder settings (libx264 veryfast,
CRF 20, yuv420p, faststart, 1920 wide; a 480-wide JPEG of the middle frame).
Wall time, CPU time and the peak RSS of each child (``wait4``) are reported;
goal: <= 1.3x ffmpeg's wall time, memory flat.

Two ffmpeg peers for the EXRs, as plain ffmpeg does no colour management (it
shows scene-linear values as if they were display values) while OnePiece
applies the OCIO view (ACES 2.0 SDR by default): "plain" is that command;
"colour-managed" makes ffmpeg do comparable colour work, a log shaper in the
EXR decoder (``-apply_trc log_sqrt``) and a 65^3 tetrahedral ``lut3d`` baked
from the same OCIO view. How far each peer's thumbnail is from OnePiece's
(the exact OCIO picture) is reported beside it.

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
from typing import Any

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


def measure(argv: list[str]) -> tuple[float, float, float]:
    """(wall seconds, peak RSS MiB, CPU seconds) of one child process."""
    start = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        err = process.stderr.read().decode(errors="replace") if process.stderr else ""
        raise SystemExit(f"{argv[0]} failed: {err[-500:]}")
    return wall, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


LOG_SQRT_TOP = 1.0 + 3.0103 / 2.5  # FFmpeg's log_sqrt (log316) of 1024, the shaper's top


def bake_view_cube(path: Path, size: int = 65) -> Path:
    """The default OCIO view of scene_linear as a .cube behind FFmpeg's log_sqrt curve
    (0 below 10^-2.5, 1 + log10(x) / 2.5 above), so ffmpeg's lut3d does the same colour
    work as OnePiece."""
    import numpy as np
    import PyOpenColorIO as OCIO

    from onepiece.services.review_media.options import ReviewOptions

    options = ReviewOptions()
    config = OCIO.Config.CreateFromFile(options.ocio_config)
    display = config.getDefaultDisplay()
    view = config.getDefaultView(display)
    cpu = config.getProcessor(
        options.colorspace_for("exr"), display, view, OCIO.TRANSFORM_DIR_FORWARD
    ).getDefaultCPUProcessor()
    shaped = np.linspace(0.0, LOG_SQRT_TOP, size)
    linear = np.where(shaped > 0, 10.0 ** ((shaped - 1.0) * 2.5), 0.0).astype(np.float32)
    blue, green, red = np.meshgrid(linear, linear, linear, indexing="ij")  # red fastest
    lattice = np.ascontiguousarray(np.stack([red, green, blue], axis=-1).reshape(-1, 3))
    cpu.applyRGB(lattice)
    top = f"{LOG_SQRT_TOP:.6f}"
    lines = [f"LUT_3D_SIZE {size}", "DOMAIN_MIN 0 0 0", f"DOMAIN_MAX {top} {top} {top}"]
    lines += [f"{r:.6f} {g:.6f} {b:.6f}" for r, g, b in np.clip(lattice, 0.0, 1.0)]
    path.write_text("\n".join(lines) + "\n")
    return path


def thumbnail_difference(ours: Path, peer: Path) -> float:
    """Mean absolute difference (8-bit code values) of two thumbnails, over their common
    size (ffmpeg's ``scale=480:-2`` and OnePiece may round the height to different even
    numbers)."""
    import numpy as np
    import OpenImageIO as oiio

    pictures = []
    for path in (ours, peer):
        image = oiio.ImageInput.open(str(path))
        pictures.append(np.asarray(image.read_image(oiio.UINT8), dtype=np.float64))
        image.close()
    height = min(picture.shape[0] for picture in pictures)
    width = min(picture.shape[1] for picture in pictures)
    first, second = (picture[:height, :width] for picture in pictures)
    return float(np.abs(first - second).mean())


def ffmpeg_commands(
    kind: str, source: Path, out: Path, frames: int, cube: Path | None = None
) -> list[list[str]]:
    """The peer's proxy and thumbnail commands (``cube``: the colour-managed EXR peer)."""
    x264 = ["-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p"]
    colour = f"lut3d=file={cube}:interp=tetrahedral," if cube else ""
    shaper = ["-apply_trc", "log_sqrt"] if cube else []
    scale = ["-vf", f"{colour}scale=1920:-2"]
    thumb_scale = ["-vf", f"{colour}scale=480:-2"]
    if kind == "sequence":
        seq = [
            *shaper,
            "-framerate",
            str(FPS),
            "-start_number",
            "1001",
            "-i",
            str(source / "plate.%04d.exr"),
        ]
        middle = [
            *shaper,
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
        [*thumb, "-frames:v", "1", *thumb_scale, "-q:v", "3", str(out / "peer.jpg")],
    ]


def run_peers(
    kind: str, source: Path, out: Path, count: int, cube: Path | None
) -> tuple[float, float, float]:
    wall = rss = cpu = 0.0
    for command in ffmpeg_commands(kind, source, out, count, cube):
        one = measure(command)
        wall, rss, cpu = wall + one[0], max(rss, one[1]), cpu + one[2]
    return wall, rss, cpu


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
    rows: list[dict[str, object]] = []
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-review-") as scratch:
        root = Path(scratch)
        plates, movie = make_inputs(root, args.frames, args.seconds)
        cube = bake_view_cube(root / "view.cube")
        for kind, source, count in (
            ("sequence", plates, args.frames),
            ("movie", movie, args.seconds * FPS),
        ):
            out = root / f"out-{kind}"
            out.mkdir()
            child = [sys.executable, "-m", "bench.review_media", "--child", kind]
            ours = measure([*child, str(source), str(out)])
            ours_thumb = next(out.glob("*.thumb.jpg"))
            peers = {"plain": None, "colour-managed": cube} if kind == "sequence" else {"": None}
            for peer, peer_cube in peers.items():
                peer_out = out / (peer or "peer")
                peer_out.mkdir()
                result = run_peers(kind, source, peer_out, count, peer_cube)
                rows.append(
                    {
                        "kind": kind,
                        "peer": peer,
                        "ours": ours,
                        "ffmpeg": result,
                        "thumb_diff": thumbnail_difference(ours_thumb, peer_out / "peer.jpg"),
                    }
                )
    print(json.dumps(rows, indent=2))
    table = report(rows, args.frames, args.seconds, load_before, os.getloadavg()[0])
    print(table)
    if not args.no_write:
        update_section("review_media", table)


def report(
    rows: list[dict[str, Any]], frames: int, seconds: int, load_before: float, load_after: float
) -> str:
    labels = {
        "sequence": f"{frames} frames 2K EXR (half, ZIP)",
        "movie": f"{seconds} s ProRes 422 HQ 1080p24",
    }
    lines = [
        "## Review media (`bench/review_media.py`)",
        "",
        "Thumbnail + proxy. OnePiece (one process) beside the `ffmpeg` command line "
        "(Debian's package: one process for the proxy, one for the thumbnail), same run, "
        "same x264 settings (veryfast, CRF 20, yuv420p, 1920 wide, faststart). For the EXRs "
        "two peers: plain ffmpeg applies no colour management; the colour-managed one "
        "applies the same OCIO view as OnePiece, baked (`-apply_trc log_sqrt` + a 65^3 "
        "tetrahedral `lut3d`). *thumb diff*: mean absolute difference of the peer's "
        "thumbnail from OnePiece's (the exact OCIO picture), in 8-bit code values.",
        "",
        "| input | peer | ffmpeg s (CPU s) | onepiece s (CPU s) | ratio wall | ratio CPU | "
        "ffmpeg peak RSS | onepiece peak RSS | thumb diff |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        (ours_wall, ours_rss, ours_cpu) = row["ours"]
        (peer_wall, peer_rss, peer_cpu) = row["ffmpeg"]
        lines.append(
            f"| {labels[row['kind']]} | {row['peer'] or 'ffmpeg'} | "
            f"{peer_wall:.1f} ({peer_cpu:.1f}) | {ours_wall:.1f} ({ours_cpu:.1f}) | "
            f"**{ours_wall / peer_wall:.2f}x** | {ours_cpu / peer_cpu:.2f}x | "
            f"{peer_rss:.0f} MiB | {ours_rss:.0f} MiB | "
            f"{row['thumb_diff']:.1f} |"
        )
    lines += [
        "",
        f"Goal: <= 1.3x ffmpeg's wall time, memory flat (frames are streamed). Load average "
        f"{load_before:.1f} before and {load_after:.1f} after the run on {os.cpu_count()} CPUs "
        "(other work shares this machine): with more runnable work than CPUs, wall times "
        "swing with the neighbours' load, CPU seconds (user + system of each process and "
        "its threads) much less, so the CPU ratio is the steadier comparison.",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
