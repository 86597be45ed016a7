"""A separate process writing versions to a local tracker file (used by the tests).

Usage: python local_tracker_writer.py DB_PATH PROJECT PREFIX COUNT

Opens the tracker, prints ``ready``, waits for a line on stdin (so several
writers start together), then creates COUNT versions ``PREFIX_v0000`` ... one
transaction each, and prints ``created N conflicts M``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from onepiece.adapters.trackers.local.tracker import LocalTracker
from onepiece.domain.entities import Version
from onepiece.errors import VersionConflict


def main(path: str, project: str, prefix: str, count: int) -> None:
    tracker = LocalTracker(Path(path))
    tracker.ping()
    print("ready", flush=True)
    sys.stdin.readline()
    created = conflicts = 0
    for index in range(count):
        try:
            tracker.create_versions([Version(project, f"{prefix}_v{index:04d}", status="rev")])
            created += 1
        except VersionConflict:
            conflicts += 1
    tracker.close()
    print(f"created {created} conflicts {conflicts}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]))
