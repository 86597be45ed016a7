"""`onepiece ingest` beside its peers, measured in the same run.

1. A mixed delivery (a few large clips plus a 2,000-frame sequence, about
   1 GiB by default) into local storage, beside `cp -r` of the same folder
   (goal: at most 2x) and `cp -r && sync` (durable like ours; at most 1.25x).
2. The same delivery into a loopback S3 endpoint (the npm `s3rver`, disk
   backed; moto's server if npx cannot start it), beside `s5cmd cp` of the
   same folder to the same endpoint. Goal: at most 1.1x.
3. 10,000 files of 4 KiB: files per second, dry run and real (local).
4. One 10,000-frame sequence (one Version, 64 KiB frames) into local
   storage, beside `cp -r` of the same folder: files per second. Goal: at
   most 2x.

The data is incompressible random bytes under valid delivery names: this
measures transfer, hashing and registration, not a video encoder.
Run: `python -m bench.ingest [--size-mib N] [--small-files N] [--sequence-frames N]`.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from bench.report import update_section
from onepiece.samples import filler_delivery

MIB = 1024 * 1024
S3_KEYS = {"AWS_ACCESS_KEY_ID": "S3RVER", "AWS_SECRET_ACCESS_KEY": "S3RVER"}


def timed(argv: list[str], env: dict[str, str] | None = None) -> float:
    return timed_cpu(argv, env)[0]


def timed_cpu(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system) of the command and its children.

    CPU time moves less than wall time when other jobs share the machine.
    """
    wall, user, system = timed_usage(argv, env)
    return wall, user + system


def timed_usage(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, float, float]:
    """Wall, user CPU and system CPU seconds of the command and its children.

    User CPU apart: for many small files the system share follows the
    filesystem's inode allocator, which depends on what was deleted in the
    last 30 s (docs/benchmarks.md), more than on the command measured.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise SystemExit(f"{argv[:4]} failed ({result.returncode}): {result.stderr[-2000:]}")
    return elapsed, after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime


def onepiece(*args: str, review_media: bool = False) -> list[str]:
    # Review media off by default: these rows measure transfer; bench/review_ingest.py
    # measures what review media add.
    review = "--review-media" if review_media else "--no-review-media"
    return [sys.executable, *("-m", "onepiece", "ingest", *args, "-p", "bench", "-s", "FG", review)]


def env_with(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ONEPIECE_", "AWS_"))}
    return {**env, "AWS_EC2_METADATA_DISABLED": "true", **extra}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def s3_endpoint(folder: Path) -> Iterator[tuple[str, str]]:
    """(url, server name): s3rver on disk when npx can start it, else moto in memory."""
    port = free_port()
    npx = shutil.which("npx")
    if npx:
        proc = subprocess.Popen(
            [
                npx,
                "--yes",
                "s3rver",
                "-a",
                "127.0.0.1",
                "-p",
                str(port),
                "-d",
                str(folder),
                "--silent",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: npx, sh and node stop together
        )
        try:
            if _wait_for_port(port, 90):
                yield f"http://127.0.0.1:{port}", "s3rver (npm, disk-backed)"
                return
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(30)
        print("s3rver did not start; using moto's server", file=sys.stderr)
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}", "moto ThreadedMotoServer (in memory)"
    finally:
        server.stop()


def _wait_for_port(port: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            return True
        time.sleep(0.2)
    return False


def mixed_delivery(folder: Path, size_mib: int) -> int:
    half = size_mib * MIB // 2
    files = filler_delivery(
        folder, large_files=4, large_size=half // 4, frames=2000, frame_size=half // 2000
    )
    return sum(path.stat().st_size for path in files)


def bench_local(src: Path, work: Path, runs: int) -> dict[str, float]:
    """Medians over ``runs`` alternating rounds (the machine is shared: medians, not means)."""
    copy = work / "cp-copy"
    names = ("cp", "cp_sync", "ours")
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in names}
    for index in range(runs):
        samples["cp"].append(timed_cpu(["cp", "-r", str(src), str(copy)]))
        shutil.rmtree(copy)
        durable = ["sh", "-c", 'cp -r "$0" "$1" && sync', str(src), str(copy)]
        samples["cp_sync"].append(timed_cpu(durable))
        shutil.rmtree(copy)
        data = work / f"xdg-local-{index}"
        samples["ours"].append(timed_cpu(onepiece(str(src)), env_with(XDG_DATA_HOME=str(data))))
        if index < runs - 1:
            shutil.rmtree(data)
    again = timed(onepiece(str(src)), env_with(XDG_DATA_HOME=str(data)))
    result = {name: statistics.median(wall for wall, _ in samples[name]) for name in names}
    cpu = {f"{name}_cpu": statistics.median(c for _, c in samples[name]) for name in names}
    return {**result, **cpu, "again": again}


def bench_s3(src: Path, work: Path, part_mib: int, runs: int) -> tuple[str, float, float]:
    """Medians of ``runs`` alternating rounds, each into a fresh bucket (peer) or data
    directory and bucket (ours), the order flipped every round."""
    s5cmd = shutil.which("s5cmd", path=str(Path(sys.executable).parent)) or "s5cmd"
    peer: list[float] = []
    ours: list[float] = []
    with s3_endpoint(work / "s3-data") as (url, server):
        env = env_with(**S3_KEYS, AWS_REGION="us-east-1", AWS_DEFAULT_REGION="us-east-1")
        for index in range(runs):
            bucket = f"s3://peer-bucket-{index}"
            timed([s5cmd, "--endpoint-url", url, "mb", bucket], env)
            peer_cmd = ([s5cmd, "--endpoint-url", url, "cp", f"{src}/*", f"{bucket}/in/"], env)
            ours_cmd = (
                onepiece(str(src), "--vendor-bucket", f"vendor-{index}"),
                {
                    **env,
                    "XDG_DATA_HOME": str(work / f"xdg-s3-{index}"),
                    "ONEPIECE_STORAGE_BACKEND": "s3",
                    "ONEPIECE_STORAGE_ENDPOINT_URL": url,
                    "ONEPIECE_STORAGE_PART_SIZE_MB": str(part_mib),
                },
            )
            for argv, run_env in (peer_cmd, ours_cmd) if index % 2 == 0 else (ours_cmd, peer_cmd):
                (ours if argv[0] == sys.executable else peer).append(timed(argv, run_env))
    return server, statistics.median(peer), statistics.median(ours)


def bench_small(work: Path, count: int, runs: int) -> dict[str, float]:
    """Dry run once, then real ingest and `cp -r` in alternating rounds (medians, CPU too).

    Nothing is deleted between rounds: on ext4 a burst of deletes slows the
    next inode allocations (see docs/benchmarks.md), which would favour the
    first command of each round.
    """
    src = work / "small"
    filler_delivery(src, large_files=0, frames=0, small_files=count, small_size=4096)
    dry = timed(onepiece(str(src), "--dry-run"), env_with(XDG_DATA_HOME=str(work / "xdg-dry")))
    ours: list[tuple[float, float, float]] = []
    peer: list[tuple[float, float, float]] = []
    for index in range(runs):
        env = env_with(XDG_DATA_HOME=str(work / f"xdg-small-{index}"))
        ours.append(timed_usage(onepiece(str(src)), env))
        peer.append(timed_usage(["cp", "-r", str(src), str(work / f"small-copy-{index}")]))
    return {"dry": dry, **usage_medians("real", ours), **usage_medians("cp", peer)}


def usage_medians(name: str, samples: list[tuple[float, float, float]]) -> dict[str, float]:
    return {
        name: statistics.median(wall for wall, _, _ in samples),
        f"{name}_cpu": statistics.median(user + system for _, user, system in samples),
        f"{name}_user": statistics.median(user for _, user, _ in samples),
    }


def bench_sequence(work: Path, frames: int, frame_kib: int, runs: int) -> dict[str, float]:
    """One frame sequence (one Version): real ingest and `cp -r` in alternating rounds.

    As for the small files nothing is deleted between rounds (ext4's inode
    allocator, docs/benchmarks.md), and the order flips every round so
    neither command always runs right after the other's writes.
    """
    src = work / "sequence"
    filler_delivery(src, large_files=0, frames=frames, frame_size=frame_kib * 1024)
    ours: list[tuple[float, float, float]] = []
    peer: list[tuple[float, float, float]] = []
    for index in range(runs):
        ours_cmd = (onepiece(str(src)), env_with(XDG_DATA_HOME=str(work / f"xdg-seq-{index}")))
        peer_cmd = (["cp", "-r", str(src), str(work / f"sequence-copy-{index}")], None)
        for argv, env in (ours_cmd, peer_cmd) if index % 2 == 0 else (peer_cmd, ours_cmd):
            (ours if argv[0] == sys.executable else peer).append(timed_usage(argv, env))
    return {**usage_medians("real", ours), **usage_medians("cp", peer)}


def sequence_line(frames: int, frame_kib: int, seq: dict[str, float], runs: int) -> str:
    real, cp = seq["real"], seq["cp"]
    cpu_ratio = seq["real_cpu"] / seq["cp_cpu"]
    return (
        f"One sequence of {frames:,} frames of {frame_kib} KiB (one Version), local, median of "
        f"{runs} alternating rounds: real ingest {real:.1f} s (**{frames / real:,.0f} files/s**, "
        f"CPU {seq['real_cpu']:.1f} s, user {seq['real_user']:.2f} s); "
        f"`cp -r` {cp:.2f} s ({frames / cp:,.0f} files/s, CPU "
        f"{seq['cp_cpu']:.2f} s): **{real / cp:.2f}x** wall, {cpu_ratio:.2f}x CPU (goal <= 2x). "
        f"Load average at the end: {os.getloadavg()[0]:.1f} on "
        f"{os.cpu_count()} CPUs."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size-mib", type=int, default=1024, help="mixed delivery size")
    parser.add_argument("--small-files", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3, help="rounds of the local comparison")
    parser.add_argument(
        "--s3-part-mib",
        type=int,
        default=256,
        help="storage.part_size_mb for the S3 run (s3rver lacks UploadPartCopy: keep clips "
        "within one part there)",
    )
    parser.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    parser.add_argument(
        "--small-only",
        action="store_true",
        help="only the small-files row (implies --no-write): quick checks on a busy machine",
    )
    parser.add_argument("--sequence-frames", type=int, default=10_000)
    parser.add_argument("--frame-kib", type=int, default=64, help="frame size of the sequence row")
    parser.add_argument(
        "--sequence-only",
        action="store_true",
        help="only the one-sequence row (implies --no-write): quick checks on a busy machine",
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="onepiece-bench-ingest-"))
    if args.sequence_only:
        try:
            seq = bench_sequence(work, args.sequence_frames, args.frame_kib, args.runs)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        print(sequence_line(args.sequence_frames, args.frame_kib, seq, args.runs))
        return
    if args.small_only:
        try:
            small = bench_small(work, args.small_files, args.runs)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        print(small_line(args.small_files, small, args.runs))
        return
    try:
        src = work / "delivery"
        size = mixed_delivery(src, args.size_mib)
        gib = size / (1024 * MIB)
        local = bench_local(src, work, args.runs)
        server, s5, ours_s3 = bench_s3(src, work, args.s3_part_mib, args.runs)
        small = bench_small(work, args.small_files, args.runs)
        seq = bench_sequence(work, args.sequence_frames, args.frame_kib, args.runs)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    table = (
        "## Ingest (`bench/ingest.py`)\n\n"
        "Peers and OnePiece in the same run on the same machine. Mixed delivery: 4 clips of "
        f"{size / 2 / 4 / MIB:.0f} MiB plus 2,000 frames of {size / 2 / 2000 / 1024:.0f} KiB "
        f"= {gib:.2f} GiB of random data; default workers.\n\n"
        "| run | peer | peer s | onepiece s | ratio | goal |\n|---|---|---|---|---|---|\n"
        f"| mixed -> local storage | `cp -r` | {local['cp']:.1f} | {local['ours']:.1f} | "
        f"**{local['ours'] / local['cp']:.2f}x** | <= 2x |\n"
        f"| mixed -> local storage | `cp -r && sync` (durable, like ours) | "
        f"{local['cp_sync']:.1f} | {local['ours']:.1f} | "
        f"**{local['ours'] / local['cp_sync']:.2f}x** | <= 1.25x |\n"
        f"| mixed -> S3 ({server}) | `s5cmd cp` | {s5:.1f} | {ours_s3:.1f} | "
        f"**{ours_s3 / s5:.2f}x** | <= 1.1x |\n\n"
        f"Review media off (`--no-review-media`; `bench/review_ingest.py` measures what it adds). "
        f"Every row: median of {args.runs} alternating rounds. "
        f"CPU seconds (user + system, median) for the local rows: `cp -r` {local['cp_cpu']:.1f}, "
        f"`cp -r && sync` {local['cp_sync_cpu']:.1f} (the flush itself runs in kernel "
        f"threads), onepiece {local['ours_cpu']:.1f}. "
        f"Load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs "
        "(other work shares this machine).\n\n"
        f"Second local run of the same command (resume: every file hashed once, found stored "
        f"and verified, nothing sent or registered): {local['again']:.1f} s.\n\n"
        f"{small_line(args.small_files, small, args.runs)}\n\n"
        f"{sequence_line(args.sequence_frames, args.frame_kib, seq, args.runs)}\n\n"
        "OnePiece does more than the peers: it hashes every byte (xxh3) in the same read, "
        "makes each file and its checksum record durable before its Version is registered "
        "(two `syncfs` per batch of files; `cp` does not sync), records each object's checksum "
        "(an extended attribute on its file), "
        f"and registers every Version. S3 part size "
        f"{args.s3_part_mib} MiB for the S3 row."
    )
    print(table)
    if not args.no_write:
        update_section("ingest", table)


def small_line(n: int, small: dict[str, float], runs: int) -> str:
    real, cp = small["real"], small["cp"]
    return (
        f"{n:,} files of 4 KiB (one Version each), local, median of {runs} alternating "
        f"rounds: dry run {small['dry']:.1f} s (**{n / small['dry']:,.0f} files/s**), real "
        f"ingest {real:.1f} s (**{n / real:,.0f} files/s**, CPU {small['real_cpu']:.1f} s, user "
        f"{small['real_user']:.2f} s); "
        f"`cp -r` {cp:.2f} s ({n / cp:,.0f} files/s, CPU {small['cp_cpu']:.2f} s)."
    )


if __name__ == "__main__":
    main()
