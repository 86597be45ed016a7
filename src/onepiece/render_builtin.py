"""The built-in renderer: real PNG frames without a DCC, for demos and tests.

``python -m onepiece.render_builtin SCENE -o OUT.####.png -s 1 -e 10 [-j 1]``

It behaves like a command-line renderer: reads a scene, writes one image per
frame (the padding token in the output path, ``####``/``#``/``%04d``..., becomes
the zero-padded frame number),
prints ``frame N done`` after each, and exits non-zero on failure. The scene is
any existing file; when it is JSON it may set ``width``, ``height``, ``delay``
(seconds per frame, to simulate render time) and ``fail_on`` (frames that fail).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import struct
import sys
import time
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from onepiece.atomicio import write_bytes
from onepiece.domain.sequences import BLENDER_LONE_HASH_WIDTH, frame_name, is_frame_pattern


def frame_path(pattern: str, frame: int) -> Path:
    """``shot.####.png`` -> ``shot.0007.png`` (padding rules: ``domain/sequences.py``);
    without a padding token the frame goes before the suffix, 4 digits."""
    if is_frame_pattern(pattern):
        # A lone "#" is one digit here, as Blender (whose -o/-s/-e/-j this
        # renderer mimics) writes it; everywhere else it reads 4 (fileseq).
        return Path(frame_name(pattern, frame, lone_hash_width=BLENDER_LONE_HASH_WIDTH))
    path = Path(pattern)
    return path.with_name(f"{path.stem}.{frame:04d}{path.suffix or '.png'}")


def encode_png(pixels: np.ndarray) -> bytes:
    """Encode an (height, width, 3) uint8 array as a PNG (filter 0, zlib level 6)."""
    height, width, _ = pixels.shape
    rows = np.concatenate([np.zeros((height, 1), np.uint8), pixels.reshape(height, -1)], axis=1)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows.tobytes(), 6))
        + chunk(b"IEND", b"")
    )


def render_frame(seed: int, frame: int, width: int, height: int) -> np.ndarray:
    """A gradient tinted by the scene, with a bar that moves with the frame."""
    y, x = np.mgrid[0:height, 0:width]
    image = np.empty((height, width, 3), np.uint8)
    image[..., 0] = (x * 255 // max(width - 1, 1) + seed) % 256
    image[..., 1] = (y * 255 // max(height - 1, 1) + seed // 7) % 256
    image[..., 2] = (seed // 49 + frame * 9) % 256
    bar = (frame * 7) % max(width, 1)
    image[:, bar : bar + max(width // 16, 1)] = 255
    return image


def _scene_options(scene: Path) -> tuple[int, dict[str, Any]]:
    data = scene.read_bytes()
    seed = int.from_bytes(hashlib.blake2b(data, digest_size=4).digest(), "big")
    try:
        options = json.loads(data)
    except (UnicodeDecodeError, ValueError, RecursionError):  # not a JSON scene: no options
        options = {}
    return seed, options if isinstance(options, dict) else {}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="onepiece.render_builtin", description=__doc__)
    parser.add_argument("scene", type=Path)
    parser.add_argument("-o", "--output", required=True, help="output path, #### = frame")
    parser.add_argument("-s", "--start", type=int, required=True)
    parser.add_argument("-e", "--end", type=int, required=True)
    parser.add_argument("-j", "--step", type=int, default=1)
    parser.add_argument("--width", type=int)
    parser.add_argument("--height", type=int)
    parser.add_argument("--delay", type=float, help="seconds per frame (simulated render time)")
    args = parser.parse_args(argv)
    if not args.scene.is_file():
        print(f"error: scene not found: {args.scene}", file=sys.stderr)
        return 2
    if args.step < 1 or args.end < args.start:
        print("error: need start <= end and step >= 1", file=sys.stderr)
        return 2
    seed, options = _scene_options(args.scene)
    width = args.width or int(options.get("width", 64))
    height = args.height or int(options.get("height", 36))
    delay = args.delay if args.delay is not None else float(options.get("delay", 0.0))
    fail_on = {int(f) for f in options.get("fail_on", [])}
    print(f"rendering {args.scene} frames {args.start}-{args.end}x{args.step}", flush=True)
    for frame in range(args.start, args.end + 1, args.step):
        if delay > 0:
            time.sleep(delay)  # stands in for the time a real renderer spends
        if frame in fail_on:
            print(f"error: frame {frame} failed (scene asks for it)", flush=True)
            return 1
        target = frame_path(args.output, frame)
        write_bytes(target, encode_png(render_frame(seed, frame, width, height)))
        print(f"frame {frame} done {target}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
