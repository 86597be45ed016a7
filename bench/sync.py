"""`onepiece aws sync-to` beside a raw `s5cmd sync` of the same folder, same run.

A folder of --files files (--file-kb KiB each) goes to a loopback S3 endpoint
(moto's server, started here) by both commands, each into a fresh prefix per
run so every run uploads everything. Runs are interleaved. Goal: at most
1.05x the raw s5cmd time (our overhead is start-up and reading s5cmd's JSON).
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.report import median_ms, update_section


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--file-kb", type=int, default=256)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    args = parser.parse_args()

    import boto3
    from moto.server import ThreadedMotoServer

    from onepiece.services.s3_sync import find_s5cmd

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    credentials = {
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench-secret",
        "AWS_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    env = {**os.environ, **credentials, "ONEPIECE_STORAGE_ENDPOINT_URL": url}
    client = boto3.client(
        "s3",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench-secret",
    )
    client.create_bucket(Bucket="bench-sync")
    onepiece = str(Path(sys.executable).parent / "onepiece")
    s5cmd = find_s5cmd()
    try:
        with tempfile.TemporaryDirectory(prefix="bench-sync-") as tmp:
            local = Path(tmp)
            folder = local / "plates"
            folder.mkdir()
            block = os.urandom(args.file_kb * 1024)
            for n in range(args.files):
                (folder / f"plate.{n:04d}.exr").write_bytes(block)
            samples: dict[str, list[float]] = {"peer": [], "ours": []}
            for run in range(args.runs + 1):  # run 0 warms up
                peer = [
                    s5cmd,
                    "--endpoint-url",
                    url,
                    "sync",
                    f"{folder}/",
                    f"s3://bench-sync/P{run}/plates/",
                ]
                ours = [
                    onepiece,
                    "aws",
                    "sync-to",
                    "--bucket",
                    "bench-sync",
                    "--show-code",
                    f"O{run}",
                    "--folder",
                    "plates",
                    "--local-path",
                    str(local),
                ]
                for name, argv in (("peer", peer), ("ours", ours)):
                    start = time.perf_counter()
                    subprocess.run(argv, check=True, capture_output=True, env=env)
                    if run:
                        samples[name].append(time.perf_counter() - start)
                    _empty(client, "bench-sync")  # moto keeps objects in memory
    finally:
        server.stop()
    peer_ms, ours_ms = median_ms(samples["peer"]), median_ms(samples["ours"])
    ratio = ours_ms / peer_ms
    total_mb = args.files * args.file_kb / 1024
    table = (
        "## S3 sync (`bench/sync.py`)\n\n"
        f"{args.files} files of {args.file_kb} KiB ({total_mb:.0f} MiB) to a loopback S3 "
        f"endpoint (moto, in-process), fresh prefix per run; median of {args.runs} interleaved "
        f"runs after a warm-up, Python {platform.python_version()}, 2 busy shared cores.\n\n"
        "| command | median ms |\n|---|---|\n"
        f"| `s5cmd sync DIR/ s3://...` (peer) | {peer_ms:.0f} |\n"
        f"| `onepiece aws sync-to` | {ours_ms:.0f} |\n\n"
        f"Ratio: **{ratio:.2f}x** (goal <= 1.05x: {'met' if ratio <= 1.05 else 'NOT met'})."
    )
    print(table)
    if not args.no_write:
        update_section("sync", table)


def _empty(client: object, bucket: str) -> None:
    paginator = client.get_paginator("list_objects_v2")  # type: ignore[attr-defined]
    for page in paginator.paginate(Bucket=bucket):
        keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
        if keys:
            client.delete_objects(Bucket=bucket, Delete={"Objects": keys})  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
