"""`onepiece aws sync-to` beside a raw `s5cmd sync` of the same folder, same run.

Two measurements against the same loopback S3 endpoint (the npm `s3rver`,
disk backed, when npx can start it; moto's in-memory server otherwise):

1. Fixed cost: a one-file folder, many interleaved runs. What every sync
   pays once, whatever its size (process start-up, settings).
2. Bulk: --files files of --file-kb KiB (800 MiB by default), each command
   into a fresh prefix per run so every run uploads everything, deleted
   after the run. The commands take turns going first, dirty pages are
   flushed before each timed run, and medians are reported: the machine is
   shared and the endpoint writes to the same disk.

Three commands: raw `s5cmd sync` as a user would type it (the peer and the
goal's reference), `s5cmd --json --log debug sync` (exactly the s5cmd run
that OnePiece starts, so its flags are priced apart from our wrapper), and
`onepiece aws sync-to`. Goal: at most 1.05x the peer.
Run: `python -m bench.sync [--files N] [--file-kb K] [--runs R]`.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.ingest import S3_KEYS, env_with, s3_endpoint
from bench.report import update_section

BUCKET = "bench-sync"
# The flags OnePiece adds to every s5cmd run (adapters/storage/s5cmd.sync_command);
# --retry-count 10 is s5cmd's default, so only --json and --log differ.
OUR_S5CMD_FLAGS = ["--json", "--log", "debug", "--retry-count", "10"]

Command = Callable[[str], list[str]]  # prefix -> argv


@dataclass
class Samples:
    wall: list[float] = field(default_factory=list)  # seconds
    cpu: list[float] = field(default_factory=list)  # user + system seconds, whole process tree

    def median_ms(self) -> float:
        return statistics.median(self.wall) * 1000


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall, cpu) seconds. CPU time counts every process the command waited for
    (ours: Python and its s5cmd), and is far steadier than wall time on a
    shared machine: it shows what a command costs, not what it waited for."""
    os.sync()  # the previous run's writes land now, not inside this run
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(argv, env=env, capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise SystemExit(f"{argv[:4]} failed ({result.returncode}): {result.stderr[-2000:]!r}")
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return elapsed, cpu


def commands(s5cmd: str, url: str, local: Path) -> dict[str, Command]:
    onepiece = str(Path(sys.executable).parent / "onepiece")
    source = f"{local / 'plates'}/"
    return {
        "peer": lambda p: [
            s5cmd,
            "--endpoint-url",
            url,
            "sync",
            source,
            f"s3://{BUCKET}/{p}/plates/",
        ],
        "flags": lambda p: [
            s5cmd,
            *OUR_S5CMD_FLAGS,
            "--endpoint-url",
            url,
            "sync",
            source,
            f"s3://{BUCKET}/{p}/plates/",
        ],
        "ours": lambda p: [
            onepiece,
            "aws",
            "sync-to",
            "--bucket",
            BUCKET,
            "--show-code",
            p,
            "--folder",
            "plates",
            "--local-path",
            str(local),
        ],
    }


def interleaved(
    cmds: dict[str, Command], runs: int, env: dict[str, str], tag: str, clean: Callable[[str], None]
) -> dict[str, Samples]:
    """``runs`` rounds after a warm-up; each round rotates which command goes first."""
    names = list(cmds)
    samples = {name: Samples() for name in names}
    for run in range(runs + 1):
        shift = run % len(names)
        for name in names[shift:] + names[:shift]:
            prefix = f"{tag}-{name}-{run}"
            wall, cpu = timed(cmds[name](prefix), env)
            if run:
                samples[name].wall.append(wall)
                samples[name].cpu.append(cpu)
            clean(prefix)
    return samples


def fill(folder: Path, files: int, size: int) -> None:
    folder.mkdir(parents=True)
    for n in range(files):
        (folder / f"plate.{n:04d}.exr").write_bytes(os.urandom(size))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=800)
    parser.add_argument("--file-kb", type=int, default=1024)
    parser.add_argument("--runs", type=int, default=5, help="bulk rounds (after a warm-up)")
    parser.add_argument("--fixed-runs", type=int, default=21, help="one-file rounds")
    parser.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    args = parser.parse_args()

    from onepiece.adapters.storage.s5cmd import find_s5cmd

    s5cmd = find_s5cmd()
    with tempfile.TemporaryDirectory(prefix="bench-sync-") as tmp:
        (Path(tmp) / "s3").mkdir()
        with s3_endpoint(Path(tmp) / "s3") as (url, server):
            fixed, bulk = measure(args, s5cmd, url, Path(tmp))
    table = report(args, server, fixed, bulk)
    print(table)
    if not args.no_write:
        update_section("sync", table)


def measure(
    args: argparse.Namespace, s5cmd: str, url: str, tmp: Path
) -> tuple[dict[str, Samples], dict[str, Samples]]:
    """(fixed, bulk) samples per command name."""
    env = env_with(**S3_KEYS, AWS_REGION="us-east-1", ONEPIECE_STORAGE_ENDPOINT_URL=url)
    mb = [s5cmd, "--endpoint-url", url, "mb", f"s3://{BUCKET}"]
    subprocess.run(mb, env=env, capture_output=True, check=True)

    def clean(prefix: str) -> None:  # keeps the endpoint's disk use to one run
        rm = [s5cmd, "--endpoint-url", url, "rm", f"s3://{BUCKET}/{prefix}/*"]
        subprocess.run(rm, env=env, capture_output=True, check=False)

    fill(tmp / "one" / "plates", 1, 1024)
    fill(tmp / "bulk" / "plates", args.files, args.file_kb * 1024)
    fixed = interleaved(commands(s5cmd, url, tmp / "one"), args.fixed_runs, env, "F", clean)
    print("one file, median ms:", {k: round(v.median_ms()) for k, v in fixed.items()})
    bulk = interleaved(commands(s5cmd, url, tmp / "bulk"), args.runs, env, "B", clean)
    return fixed, bulk


def report(
    args: argparse.Namespace, server: str, fixed: dict[str, Samples], bulk: dict[str, Samples]
) -> str:
    one = {k: v.median_ms() for k, v in fixed.items()}
    wall = {k: v.median_ms() for k, v in bulk.items()}
    cpu = {k: statistics.median(v.cpu) for k, v in bulk.items()}
    total_mib = args.files * args.file_kb / 1024
    ratio = wall["ours"] / wall["peer"]
    # Each round ran the commands back to back: the ratio within a round
    # cancels the slow drifts of a shared machine's load.
    paired = statistics.median(
        o / p for o, p in zip(bulk["ours"].wall, bulk["peer"].wall, strict=True)
    )
    overhead = one["ours"] - one["peer"]
    throughput = total_mib / (wall["peer"] / 1000)  # MiB/s
    # The size at which a fixed overhead of `overhead` ms is 5% of the transfer.
    break_even_mib = overhead / 1000 / 0.05 * throughput
    # Our CPU on top of the same s5cmd run, less the start-up every run pays.
    one_cpu = {k: statistics.median(v.cpu) for k, v in fixed.items()}
    startup_cpu = one_cpu["ours"] - one_cpu["flags"]
    per_file_us = (cpu["ours"] - cpu["flags"] - startup_cpu) / max(args.files - 1, 1) * 1e6
    rows = [
        ("`s5cmd sync DIR/ s3://...` (peer)", "peer"),
        ("`s5cmd --json --log debug sync ...` (what we run)", "flags"),
        ("`onepiece aws sync-to`", "ours"),
    ]
    lines = [
        "## S3 sync (`bench/sync.py`)",
        "",
        f"Endpoint: {server} on loopback. Bulk: {args.files} files of {args.file_kb} KiB "
        f"({total_mib:.0f} MiB), fresh prefix per run, medians of {args.runs} rounds after a "
        "warm-up (the commands take turns going first; dirty pages are flushed before each "
        f"run). One file: a one-file folder, medians of {args.fixed_runs} rounds. CPU: user + "
        f"system time of the whole process tree. Python {platform.python_version()}, "
        "2 cores shared with other jobs.",
        "",
        "| command | one file, ms | bulk, ms | bulk min-max, ms | bulk CPU, s |",
        "|---|---|---|---|---|",
    ]
    for label, key in rows:
        low, high = min(bulk[key].wall) * 1000, max(bulk[key].wall) * 1000
        lines.append(
            f"| {label} | {one[key]:.0f} | {wall[key]:.0f} | {low:.0f}-{high:.0f} "
            f"| {cpu[key]:.2f} |"
        )
    lines += [
        "",
        f"Ratio (bulk, ours / peer): **{ratio:.2f}x** of the medians, {paired:.2f}x as the "
        f"median of per-round ratios (goal <= 1.05x: {'met' if ratio <= 1.05 else 'NOT met'}). "
        f"Fixed overhead of `onepiece aws sync-to` over raw s5cmd: {overhead:.0f} ms, under 5% "
        f"of any sync above {break_even_mib:.0f} MiB at this endpoint's {throughput:.0f} MiB/s. "
        f"Our start-up takes {startup_cpu * 1000:.0f} ms of CPU; after it, each file adds "
        f"{per_file_us:.0f} us of CPU to s5cmd's own (reading its JSON line, logging it).",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
