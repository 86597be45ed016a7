"""`onepiece validate mhl` beside the ASC reference tool's `ascmhl-debug verify`, same folder.

A delivery of --files files totalling --size-mb MiB (default 1024) gets an
ASC MHL history from `ascmhl create -h xxh64` (the vendor's side); both tools
then verify the folder against it (chain + every file hashed), page cache
warm after the warm-up run. Goal: faster than the reference tool.
Needs `.venv-ascmhl` (made by `make install`).
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.report import median_ms, time_command, update_section

MIB = 1024 * 1024
TOOL_BIN = Path(__file__).resolve().parents[1] / ".venv-ascmhl" / "bin"


def seed(folder: Path, size_mb: int, files: int) -> None:
    folder.mkdir(parents=True)
    block = os.urandom(MIB)
    per_file = max(1, size_mb // files)
    for n in range(files):
        with (folder / f"A001C{n:03d}.mov").open("wb") as handle:
            for i in range(per_file):
                handle.write(block[i % 7 :] + block[: i % 7])
    subprocess.run([str(TOOL_BIN / "ascmhl"), "create", str(folder), "-h", "xxh64"], check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--files", type=int, default=16)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    args = parser.parse_args()
    if not (TOOL_BIN / "ascmhl-debug").exists():
        sys.exit(f"{TOOL_BIN} is missing: run `make install`")
    # Not under a folder named "ascmhl": the reference tool would ignore every file.
    with tempfile.TemporaryDirectory(prefix="onepiece-bench-") as tmp:
        folder = Path(tmp) / "delivery"
        seed(folder, args.size_mb, args.files)
        onepiece = [sys.executable, "-m", "onepiece", "validate", "mhl", str(folder)]
        reference = [str(TOOL_BIN / "ascmhl-debug"), "verify", str(folder)]
        ours = median_ms(time_command(onepiece, args.runs))
        theirs = median_ms(time_command(reference, args.runs))
    size = args.size_mb

    def rate(ms: float) -> int:
        return round(size / (ms / 1000))

    ratio = ours / theirs
    verdict = "met" if ratio < 1 else "not met"
    table = f"""## ASC MHL verify (`bench/mhl.py`)

{args.files} files, {size} MiB in total, history from `ascmhl create -h xxh64`; median of
{args.runs} runs after a warm-up, Python {platform.python_version()}, 2 busy shared cores.

| command | median ms | MiB/s |
|---|---|---|
| `ascmhl-debug verify` (ascmhl 1.2, the reference) | {theirs:.0f} | {rate(theirs)} |
| `onepiece validate mhl` | {ours:.0f} | {rate(ours)} |

Ratio (OnePiece vs reference): **{ratio:.2f}x** (goal < 1x: {verdict}). `ingest` checks the
same hashes inside the read that stores each file (no extra read).
"""
    print(table)
    if not args.no_write:
        update_section("mhl", table)


if __name__ == "__main__":
    main()
