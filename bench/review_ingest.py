"""Ingest with review media on vs off: what thumbnails and proxies add to an ingest.

A delivery of real media (``--size-mib``, default 256; the issue names 1 GiB,
which takes too long on a shared 2-CPU machine: ``--size-mib 1024``): ProRes
422 HQ 1080p24 clips for half the bytes and a 2K half-float EXR sequence (ZIP,
scene-linear, with grain so it compresses like a plate, about 8 MiB a frame)
for the other half. ``onepiece ingest`` runs on it into fresh local storage
with ``--no-review-media`` and with ``--review-media``, alternating over
``--runs`` rounds; the difference of the medians is what review media add.

    python -m bench.review_ingest [--size-mib 256] [--runs 2] [--no-write]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from bench.ingest import env_with, onepiece, timed_cpu
from bench.report import update_section
from onepiece.domain.naming import format_name

MIB = 1024 * 1024
FPS = 24
CLIPS = 2


def _texture(rng: np.random.Generator, height: int, width: int) -> NDArray[np.float32]:
    """A smooth colour ramp with grain (the grain is what makes plates large)."""
    x = np.linspace(0.0, 1.0, width, dtype=np.float32)[None, :, None]
    y = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None, None]
    base = np.concatenate(np.broadcast_arrays(x, y, (x + y) / 2), axis=2)
    return base + rng.normal(0.0, 0.03, (height, width, 3)).astype(np.float32)


def write_prores(path: Path, frames: int, seed: int) -> None:
    import av

    grain = _texture(np.random.default_rng(seed), 1080 + 64, 1920 + 64)
    with av.open(str(path), "w", format="mov") as container:
        stream = container.add_stream("prores_ks", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = 1920, 1080, "yuv422p10le"
        stream.options = {"profile": "3"}
        for index in range(frames):
            shift = index % 64
            rgb = np.clip(grain[shift : shift + 1080, shift : shift + 1920] * 255, 0, 255)
            frame = av.VideoFrame.from_ndarray(rgb.astype(np.uint8), format="rgb24")
            container.mux(stream.encode(frame.reformat(format="yuv422p10le")))
        container.mux(stream.encode(None))


def write_plate(path: Path, index: int) -> None:
    import OpenImageIO as oiio

    linear = _texture(np.random.default_rng(index), 1080, 2048) * (0.5 + (index % 24) / 12.0)
    spec = oiio.ImageSpec(2048, 1080, 3, oiio.HALF)
    spec.attribute("compression", "zip")
    output = oiio.ImageOutput.create(str(path))
    assert output is not None and output.open(str(path), spec), oiio.geterror()
    output.write_image(np.ascontiguousarray(linear, dtype=np.float32))
    output.close()


def media_delivery(folder: Path, size_mib: int) -> tuple[int, int, int]:
    """(bytes, clip frames, plate frames) of a delivery of real media about ``size_mib``."""
    plates = folder / "plates"
    plates.mkdir(parents=True)
    half = size_mib * MIB // 2
    written, frame = 0, 1001
    while written < half:
        name = format_name("FG", "ep010", "sc01", "0500", "plate", 1, "exr", frame=frame)
        write_plate(plates / name, frame)
        written += (plates / name).stat().st_size
        frame += 1
    probe = folder / "probe.mov"  # ProRes bytes per frame of this content
    write_prores(probe, 4, 0)
    per_frame = probe.stat().st_size / 4
    probe.unlink()
    clip_frames = max(1, int(half / CLIPS / per_frame))
    for index in range(CLIPS):
        name = format_name("FG", "ep010", "sc01", f"{(index + 1) * 10:04d}", "comp", 1, "mov")
        write_prores(folder / name, clip_frames, index)
    total = sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())
    return total, clip_frames, frame - 1001


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size-mib", type=int, default=256, help="delivery size")
    parser.add_argument("--runs", type=int, default=2, help="rounds of off/on")
    parser.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="onepiece-bench-review-ingest-"))
    load_before = os.getloadavg()[0]
    samples: dict[str, list[tuple[float, float]]] = {"off": [], "on": []}
    try:
        src = work / "delivery"
        size, clip_frames, plate_frames = media_delivery(src, args.size_mib)
        for index in range(args.runs):
            for mode in ("off", "on") if index % 2 == 0 else ("on", "off"):
                data = work / f"xdg-{mode}-{index}"
                env = env_with(XDG_DATA_HOME=str(data))
                argv = onepiece(str(src), review_media=mode == "on")
                samples[mode].append(timed_cpu(argv, env))
                if mode == "on":  # the work measured must be the work done
                    proxies = len(list(data.rglob("*.proxy.mp4")))
                    if proxies != CLIPS + 1:
                        raise SystemExit(f"{proxies} review movies made, not {CLIPS + 1}")
                shutil.rmtree(data)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    wall = {mode: statistics.median(w for w, _ in runs) for mode, runs in samples.items()}
    cpu = {mode: statistics.median(c for _, c in runs) for mode, runs in samples.items()}
    added = wall["on"] - wall["off"]
    rounds = f"Median of {args.runs} alternating rounds" if args.runs > 1 else "One round"
    table = (
        "## Ingest with review media on vs off (`bench/review_ingest.py`)\n\n"
        f"A delivery of real media, {size / MIB:.0f} MiB: {CLIPS} ProRes 422 HQ 1080p24 "
        f"clips of {clip_frames} frames and a {plate_frames}-frame 2K half-float EXR "
        "sequence (ZIP, with grain), ingested into local storage with the default "
        f"settings; every Version got its thumbnail and proxy. {rounds}.\n\n"
        "| review media | wall s | CPU s |\n|---|---|---|\n"
        f"| off (`--no-review-media`) | {wall['off']:.1f} | {cpu['off']:.1f} |\n"
        f"| on (thumbnail + proxy per Version) | {wall['on']:.1f} | {cpu['on']:.1f} |\n\n"
        f"Review media add **{added:.1f} s** ({added / wall['off'] * 100:.0f}% of the ingest "
        f"without them; {added / (size / MIB) * 1024:.0f} s per GiB of such media). "
        f"Load average {load_before:.1f} before and {os.getloadavg()[0]:.1f} after the run "
        f"on {os.cpu_count()} CPUs (other work shares this machine)."
    )
    print(table)
    if not args.no_write:
        update_section("review_ingest", table)


if __name__ == "__main__":
    main()
