"""Live ingest runs: watch the run registry file, publish what changed.

CLI ingest processes rewrite the registry atomically as runs progress; this
thread notices (a ``stat`` every ``interval`` seconds: cheap, portable, and it
works on network filesystems where inotify does not) and publishes
``run.created`` / ``run.updated`` / ``run.removed`` for the runs that actually
changed. A rewrite that changes nothing, or a malformed file (the view keeps
the last good snapshot), publishes nothing: no duplicate events.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import Any

from onepiece.events import Broker
from onepiece.state.runs_view import RunRegistryView

log = logging.getLogger(__name__)

TOPIC = "runs"


def diff_runs(
    old: Mapping[str, dict[str, Any]], new: Mapping[str, dict[str, Any]]
) -> list[tuple[str, dict[str, Any]]]:
    """(event name, run) for every run created, changed or gone between two snapshots."""
    events: list[tuple[str, dict[str, Any]]] = []
    for run_id, run in new.items():
        if run_id not in old:
            events.append(("run.created", run))
        elif old[run_id] != run:
            events.append(("run.updated", run))
    events.extend(("run.removed", run) for run_id, run in old.items() if run_id not in new)
    return events


class RunFeed:
    def __init__(self, view: RunRegistryView, broker: Broker, *, interval: float = 0.25) -> None:
        self.view = view
        self.broker = broker
        self.interval = interval
        self._known = view.snapshot().by_id
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def check(self) -> int:
        """Compare the registry with what was last published; publish the differences."""
        snapshot = self.view.snapshot()
        if snapshot.by_id is self._known:
            return 0
        events = diff_runs(self._known, snapshot.by_id)
        self._known = snapshot.by_id
        for name, run in events:
            self.broker.publish(TOPIC, name, {"event": name, "run": run})
        return len(events)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.check()
            except OSError as exc:  # unreadable folder, say: try again next tick
                log.warning("watching ingest run registry: %s", exc)

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="run-feed", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
