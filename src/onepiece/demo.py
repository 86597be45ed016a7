"""``make demo``: the main job on the embedded defaults, in a scratch data dir.

Generates a small delivery with real media (short H.264 QuickTime clips and an
OpenEXR sequence with a deliberate gap), a manifest with one deliberate
checksum error, ingests it into the local tracker and local storage, prints
the summary, then runs the same command again to show that nothing is sent
or registered twice. The deliberate error is expected: the demo exits 0 when
it is the only problem.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from onepiece.cli import exit_codes


def main(argv: list[str] | None = None) -> int:
    """``python -m onepiece.demo [WORKDIR]`` (default: a new temporary folder)."""
    from onepiece.samples import make_delivery

    args = sys.argv[1:] if argv is None else argv
    workdir = Path(args[0]) if args else Path(tempfile.mkdtemp(prefix="onepiece-demo-"))
    env = {**os.environ, "XDG_DATA_HOME": str(workdir / "data")}
    print(f"demo workspace: {workdir}", file=sys.stderr)
    if subprocess.call([sys.executable, "-m", "onepiece", "info", "--check"], env=env) != 0:
        return 1

    delivery = make_delivery(workdir / "delivery")
    assert delivery.manifest is not None
    print(
        f"\nsample delivery: {len(delivery.files)} files in {delivery.folder} "
        f"(frames {delivery.missing_frames} missing on purpose), manifest {delivery.manifest}",
        file=sys.stderr,
    )
    command = [
        sys.executable,
        "-m",
        "onepiece",
        "ingest",
        str(delivery.folder),
        "--project",
        "demo",
        "--show-code",
        "FG",
        "--manifest",
        str(delivery.manifest),
        "--report-path",
        str(workdir / "ingest-report.csv"),
    ]
    print("\n$ onepiece ingest ... (first run)", file=sys.stderr)
    first = subprocess.run(command, env=env, check=False)
    print(
        f"\nexpected: exit {exit_codes.INTEGRITY} and one checksum mismatch on "
        f"{delivery.bad_checksum} (the manifest's md5 is wrong on purpose)",
        file=sys.stderr,
    )
    print(
        "\n$ onepiece ingest ... (same command again: resumes, registers nothing twice)",
        file=sys.stderr,
    )
    again = subprocess.run(
        [*command, "--format", "json"], env=env, check=False, capture_output=True, text=True
    )
    summary = json.loads(again.stdout)
    counts = summary["counts"]
    print(
        f"second run: {counts['uploaded']} uploaded, {counts['skipped']} skipped (verified), "
        f"{counts['registered']} registered, {counts['existing']} already registered",
        file=sys.stderr,
    )
    only_expected = [p["path"] for p in summary["problems"]] == [delivery.bad_checksum]
    if first.returncode == again.returncode == exit_codes.INTEGRITY and only_expected:
        print("\ndemo OK: the only problem is the deliberate checksum error", file=sys.stderr)
        return 0
    print("\ndemo FAILED: unexpected result (see above)", file=sys.stderr)
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
