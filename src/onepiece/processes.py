"""Is a recorded process still the one we recorded? (psutil, any platform)

A pid alone names a process only while it runs: once it ends, the system may
hand the same pid to an unrelated process, and ``os.kill(pid, 0)`` would call
that one alive. Records that outlive their process (ingest runs, local farm
jobs) therefore keep the pid with the process's start time (``started_at``)
and ask ``process_alive`` with both.
"""

from __future__ import annotations

import os

import psutil

# Start times come from the boot time plus clock ticks; the boot time as the
# kernel reports it moves by up to a second when the wall clock is adjusted.
_START_TOLERANCE_SECONDS = 1.0


def started_at(pid: int | None = None) -> float | None:
    """When ``pid`` (this process by default) started, in epoch seconds; None when gone."""
    try:
        return float(psutil.Process(os.getpid() if pid is None else pid).create_time())
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return None


def process_alive(pid: int, marker: str | None = None, *, started: float | None = None) -> bool:
    """Is ``pid`` running (not a zombie) and still the process that was recorded?

    ``started``: the start time recorded with the pid (``started_at``); a
    process started at another time reuses the pid and is not ours.
    ``marker``: text its command line must hold, for records without a start time.
    """
    try:
        process = psutil.Process(pid)
        if process.status() in (psutil.STATUS_ZOMBIE, psutil.STATUS_DEAD):
            return False
        if started is not None and abs(process.create_time() - started) > _START_TOLERANCE_SECONDS:
            return False
        if marker is not None and marker not in " ".join(process.cmdline()):
            return False
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:
        return True  # another user's process holds the pid: it exists, we cannot look closer
    return True
