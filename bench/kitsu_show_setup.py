"""Show setup of 1,000 shots on a real Kitsu (zou): requests per 1,000 entities.

Starts zou like the test suite does (tests/kitsu_server.py, needs ``make
zou``), then runs ``ensure_hierarchy`` for 1,000 shots across 10 sequences
and 2 episodes twice: the first run creates everything, the rerun finds it.
Requests are counted by the adapter's session (every HTTP call to zou).

    python -m bench.kitsu_show_setup [--shots 1000] [--sequences 10] [--no-write]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from tests.kitsu_server import running_zou

from bench.report import update_section
from bench.show_setup import make_specs
from onepiece.adapters.trackers.kitsu.session import KitsuSession
from onepiece.adapters.trackers.kitsu.tracker import KitsuTracker


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shots", type=int, default=1000)
    parser.add_argument("--sequences", type=int, default=10)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    specs = make_specs(args.shots, args.sequences)
    entities = len({s.episode for s in specs}) + len({s.sequence for s in specs}) + len(specs)
    rows = []
    with tempfile.TemporaryDirectory() as folder, running_zou(Path(folder)) as server:
        tracker = KitsuTracker(KitsuSession(server.url, server.email, server.password))
        tracker.ensure_project("BENCH")
        for label in ("first run: creates every entity", "rerun: everything exists"):
            before, started = tracker.session.requests, time.perf_counter()
            tracker.ensure_hierarchy("BENCH", specs)
            seconds = time.perf_counter() - started
            requests = tracker.session.requests - before
            rows.append((label, requests, seconds, requests * 1000 / entities))
        tracker.close()
    table = [
        "| Kitsu ensure_hierarchy | requests | seconds | requests per 1,000 entities |",
        "|---|---|---|---|",
        *(f"| {label} | {req} | {sec:.1f} | {per:.0f} |" for label, req, sec, per in rows),
    ]
    markdown = "\n".join(
        [
            "## Show setup on Kitsu (`bench/kitsu_show_setup.py`)",
            "",
            f"{len(specs)} shots, {entities} entities, on zou under gunicorn on 127.0.0.1 "
            "(1 worker, 4 threads). Reads are one request per entity kind for the whole "
            "project; zou has no bulk create, so each new entity is one POST. Beside "
            "ShotGrid for the same setup (table above): 18 requests for 1,012 entities "
            "(batched creates). Seconds on 2 busy "
            "shared cores, zou's own work included.",
            "",
            *table,
        ]
    )
    print(markdown)
    if not args.no_write:
        update_section("kitsu_show_setup", markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
