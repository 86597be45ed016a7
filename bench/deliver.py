"""`onepiece shotgrid deliver` beside `zip -0 -r` of the same files, same run.

Approved clips totalling --size-mb MiB (default 1024) sit in local storage and
the local tracker; both sides read the same files (page cache warm after the
warm-up run) and write one stored (uncompressed) ZIP into the same folder.
`deliver --no-upload` is the like-for-like row (verify + package); the full
`deliver` adds the upload of the ZIP into the client-out bucket.
Goal: package within 1.1x of `zip -0 -r`.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.report import median_ms, update_section

MIB = 1024 * 1024


def seed(root: Path, size_mb: int, clips: int) -> tuple[dict[str, str], Path]:
    """Clips in local storage, registered as approved Versions; returns (env, media folder)."""
    from onepiece.bootstrap import bootstrap
    from onepiece.config import Settings
    from onepiece.domain.entities import Version

    settings = Settings(data_dir=root / "data", storage={"root": str(root / "storage")})  # type: ignore[arg-type]
    services = bootstrap(settings)
    services.storage.ensure_bucket("vendor-in")
    services.tracker.ensure_project("BN")
    block = os.urandom(MIB)
    per_clip = max(1, size_mb // clips)
    incoming = root / "incoming"
    incoming.mkdir()
    versions = []
    for n in range(clips):
        code = f"BN_ep010_sc01_{n:04d}_comp_v001"
        source = incoming / f"{code}.mov"
        with source.open("wb") as handle:
            for i in range(per_clip):
                handle.write(block[i % 7 :] + block[: i % 7])
        info = services.storage.put_file("vendor-in", f"BN/ep010/{code}.mov", source)
        source.unlink()
        versions.append(
            Version(
                "BN",
                code,
                shot=f"{n:04d}",
                sequence="sc01",
                episode="ep010",
                status="apr",
                path=services.storage.uri("vendor-in", f"BN/ep010/{code}.mov"),
                checksum=info.checksum,
                size=info.size,
            )
        )
    services.tracker.create_versions(versions)
    services.close()
    env = {
        **os.environ,
        "ONEPIECE_DATA_DIR": str(root / "data"),
        "ONEPIECE_STORAGE_ROOT": str(root / "storage"),
    }
    return env, root / "storage" / "vendor-in" / "BN"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--clips", type=int, default=16)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    args = parser.parse_args()
    if shutil.which("zip") is None:
        sys.exit("zip is missing: apt-get install zip")
    onepiece = shutil.which("onepiece", path=str(Path(sys.executable).parent)) or "onepiece"
    with tempfile.TemporaryDirectory(
        prefix="bench-deliver-", dir=os.environ.get("BENCH_DIR")
    ) as tmp:
        root = Path(tmp)
        env, media = seed(root, args.size_mb, args.clips)
        out = root / "out"
        out.mkdir()
        peer = ["zip", "-0", "-r", "-q", str(out / "peer.zip"), ".", "-x", "*.onepiece-*"]
        deliver = [
            onepiece,
            "shotgrid",
            "deliver",
            "-p",
            "BN",
            "--context",
            "client_out",
            "--output",
            str(out / "ours.zip"),
            "--overwrite",
        ]
        commands = {
            "peer": (peer, media),
            "package": ([*deliver, "--no-upload"], None),
            "full": (deliver, None),
        }
        samples: dict[str, list[float]] = {name: [] for name in commands}
        for run in range(args.runs + 1):
            # Interleaved so every side sees the same machine load; run 0 warms up.
            for name, (argv, cwd) in commands.items():
                (out / "peer.zip").unlink(missing_ok=True)
                elapsed = time_once(argv, env, cwd)
                if run:
                    samples[name].append(elapsed)
        zip_ms, package_ms, full_ms = (median_ms(samples[k]) for k in ("peer", "package", "full"))
    ratio = package_ms / zip_ms
    table = (
        "## Deliver (`bench/deliver.py`)\n\n"
        f"{args.clips} approved clips, {args.size_mb} MiB in total, local storage; median of "
        f"{args.runs} interleaved runs after a warm-up, Python {platform.python_version()}, "
        "2 busy shared cores.\n\n"
        "| command | median ms | MiB/s |\n|---|---|---|\n"
        f"| `zip -0 -r` of the same files (peer) | {zip_ms:.0f} | "
        f"{args.size_mb / zip_ms * 1000:.0f} |\n"
        f"| `onepiece shotgrid deliver --no-upload` (verify + package) | {package_ms:.0f} | "
        f"{args.size_mb / package_ms * 1000:.0f} |\n"
        f"| `onepiece shotgrid deliver` (+ upload to the client-out bucket) | {full_ms:.0f} | "
        f"{args.size_mb / full_ms * 1000:.0f} |\n\n"
        f"Ratio (package vs peer): **{ratio:.2f}x** (goal <= 1.1x: "
        f"{'met' if ratio <= 1.1 else 'NOT met'})."
    )
    print(table)
    if not args.no_write:
        update_section("deliver", table)


def time_once(argv: list[str], env: dict[str, str], cwd: Path | None) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True, env=env, cwd=cwd)
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
