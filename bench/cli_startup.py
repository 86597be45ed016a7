"""`onepiece --help` wall time beside `python -c "import typer"`, same run.

Goal: at most 1.5x the baseline and under 300 ms.
"""

from __future__ import annotations

import argparse
import platform
import shutil
import sys
from pathlib import Path

from bench.report import median_ms, time_command, update_section


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    args = parser.parse_args()
    onepiece = shutil.which("onepiece", path=str(Path(sys.executable).parent)) or "onepiece"
    # Alternate peer and ours, one run each at a time, so load on this shared
    # machine hits both sides alike; compare medians.
    peer_samples: list[float] = []
    our_samples: list[float] = []
    for _ in range(args.runs):
        peer_samples += time_command([sys.executable, "-c", "import typer"], 1)
        our_samples += time_command([onepiece, "--help"], 1)
    baseline = median_ms(peer_samples)
    ours = median_ms(our_samples)
    ratio = ours / baseline
    table = (
        "## CLI start-up (`bench/cli_startup.py`)\n\n"
        f"Median of {args.runs} alternating runs, Python {platform.python_version()}, 2 cores.\n\n"
        "| command | median ms |\n|---|---|\n"
        f'| `python -c "import typer"` (peer) | {baseline:.0f} |\n'
        f"| `onepiece --help` | {ours:.0f} |\n\n"
        f"Ratio: **{ratio:.2f}x** (goal <= 1.5x, and under 300 ms: "
        f"{'met' if ratio <= 1.5 and ours < 300 else 'NOT met'})."
    )
    print(table)
    if not args.no_write:
        update_section("cli_startup", table)


if __name__ == "__main__":
    main()
