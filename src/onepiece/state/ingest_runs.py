"""The ingest run registry: one JSON file that every ingest process keeps current.

Format (documented in docs/ingest_runs.md, read by Trafalgar's ``/runs`` API
from other processes)::

    {"format": 1, "runs": [{"id": ..., "status": "running", ...}, ...]}

Runs are listed oldest first. Writers take an exclusive ``fcntl`` lock on a
sidecar ``<file>.lock`` (the JSON file itself is replaced on every write, so it
cannot carry the lock), read, change their own run, and write atomically, so
concurrent ingests never lose each other's runs and readers never see half a
file. A run left ``running`` by a process that died (killed, power cut) is
marked ``failed`` by the next writer on the same host.

A full disk must not lose the record of the run it ends: each run keeps a
small reserve file ``<file>.reserve-<run id>`` beside the registry while it
runs, and deletes it to make room when its final write finds no space left
(``ENOSPC``). Progress writes that fail are skipped (the final one counts);
a final write that still fails is a StorageError naming the registry file.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import secrets
import socket
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from onepiece.atomicio import exclusive_lock, write_json
from onepiece.errors import StorageError
from onepiece.processes import process_alive, started_at

FORMAT = 1
RUN_STATUSES = ("running", "completed", "failed", "cancelled")
MAX_RUNS = 1000  # oldest finished runs are dropped beyond this
RESERVE_SLACK = 256 * 1024  # room for the final record beyond the registry's current size
log = logging.getLogger(__name__)


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def new_run_id() -> str:
    return f"ingest-{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{secrets.token_hex(3)}"


class RunRegistry(Protocol):
    """Where runs are recorded: this file, or the state database (state.db.adapters).

    ``path``'s folder holds this host's ingest locks (state.ingest_locks) either way."""

    path: Path

    def runs(self) -> list[dict[str, Any]]: ...
    def get(self, run_id: str) -> dict[str, Any] | None: ...
    def save(self, run: dict[str, Any], *, use_reserve: bool = False) -> None: ...
    def reserve(self, run_id: str) -> None: ...
    def release(self, run_id: str) -> bool: ...


class IngestRunRegistry:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock_path = path.with_name(path.name + ".lock")

    def runs(self) -> list[dict[str, Any]]:
        """All runs, oldest first (a plain read: the file is always whole)."""
        return self._read()

    def get(self, run_id: str) -> dict[str, Any] | None:
        return next((run for run in self._read() if run.get("id") == run_id), None)

    def save(self, run: dict[str, Any], *, use_reserve: bool = False) -> None:
        """Insert or replace ``run`` (by id) under the lock.

        With ``use_reserve``, a full disk frees the run's reserve and tries again.
        Raises StorageError naming the registry when it cannot be written.
        """
        try:
            self._save(run)
        except OSError as exc:
            if not (use_reserve and exc.errno == errno.ENOSPC and self.release(run["id"])):
                raise self._write_error(exc) from exc
            try:
                self._save(run)
            except OSError as again:
                raise self._write_error(again) from again

    def reserve(self, run_id: str) -> None:
        """Set room aside for ``run_id``'s final record (best effort)."""
        try:
            size = self.path.stat().st_size
        except OSError:
            size = 0
        path = self._reserve_path(run_id)
        try:
            with open(path, "wb") as handle:
                # Real blocks, not a sparse file: they are what a full disk gives back.
                handle.write(bytes(size + RESERVE_SLACK))
        except OSError:
            with contextlib.suppress(OSError):
                path.unlink()

    def release(self, run_id: str) -> bool:
        """Delete ``run_id``'s reserve; False when there was none."""
        try:
            self._reserve_path(run_id).unlink()
        except OSError:
            return False
        return True

    def _reserve_path(self, run_id: str) -> Path:
        return self.path.with_name(f"{self.path.name}.reserve-{run_id}")

    def _write_error(self, exc: OSError) -> StorageError:
        return StorageError(
            f"cannot write the ingest run registry {self.path}: {exc.strerror or exc}",
            hint="free space on that disk (or fix its permissions), then run the ingest again",
            context={"errno": exc.errno},
        )

    def _save(self, run: dict[str, Any]) -> None:
        with self._locked():
            runs = self._read()
            for dead in _expire_dead(runs):
                self.release(dead)  # a killed run's reserve is no use to anyone
            for index, existing in enumerate(runs):
                if existing.get("id") == run["id"]:
                    runs[index] = run
                    break
            else:
                runs.append(run)
            write_json(self.path, {"format": FORMAT, "runs": _pruned(runs)})

    def _locked(self) -> contextlib.AbstractContextManager[None]:
        return exclusive_lock(self.lock_path)

    def _read(self) -> list[dict[str, Any]]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        try:
            data = json.loads(text)
            runs = data["runs"]
            if not isinstance(runs, list):
                raise TypeError("runs is not a list")
        except (ValueError, KeyError, TypeError) as exc:
            # Never lose what was there: set the unreadable file aside, start afresh.
            aside = self.path.with_name(f"{self.path.name}.corrupt-{int(time.time())}")
            with contextlib.suppress(OSError):
                os.replace(self.path, aside)
            log.warning(
                "ingest run registry %s was unreadable (%s); moved to %s", self.path, exc, aside
            )
            return []
        return [run for run in runs if isinstance(run, dict)]


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def _expire_dead(runs: list[dict[str, Any]]) -> list[str]:
    """Mark the runs of dead processes on this host failed; returns their ids."""
    host = socket.gethostname()
    expired = []
    for run in runs:
        pid = run.get("pid")
        if (
            run.get("status") == "running"
            and run.get("host") == host
            and isinstance(pid, int)
            and pid != os.getpid()
            and not process_alive(pid, started=_number(run.get("pid_started")))
        ):
            run["status"] = "failed"
            run["error"] = f"the ingest process (pid {pid}) ended without finishing"
            run["completed_at"] = run.get("updated_at") or utc_now()
            expired.append(str(run.get("id")))
    return expired


def _pruned(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    excess = len(runs) - MAX_RUNS
    if excess <= 0:
        return runs
    kept: list[dict[str, Any]] = []
    for run in runs:
        if excess > 0 and run.get("status") != "running":
            excess -= 1
            continue
        kept.append(run)
    return kept


class RunRecorder:
    """Keeps one run's record current while it progresses, at most every ``interval`` s."""

    def __init__(
        self,
        registry: RunRegistry,
        run: dict[str, Any],
        *,
        interval: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.registry = registry
        self.run = run
        self.interval = interval
        self.clock = clock
        self._last = float("-inf")

    @classmethod
    def start(cls, registry: RunRegistry, *, interval: float = 0.5, **fields: Any) -> RunRecorder:
        now = utc_now()
        run: dict[str, Any] = {
            "id": new_run_id(),
            "status": "running",
            **fields,
            "started_at": now,
            "updated_at": now,
            "completed_at": None,
            "counts": {},
            "summary": {},
            "error": None,
            "pid": os.getpid(),
            "pid_started": started_at(),  # with the pid: a reused pid is not this run
            "host": socket.gethostname(),
        }
        recorder = cls(registry, run, interval=interval)
        recorder._write()
        registry.reserve(recorder.run_id)
        return recorder

    @property
    def run_id(self) -> str:
        return str(self.run["id"])

    def due(self) -> bool:
        """Is a progress write due? (Lets callers skip computing counts in between.)"""
        return self.clock() - self._last >= self.interval

    def progress(self, counts: dict[str, int]) -> None:
        self.run["counts"] = dict(counts)
        if self.due():
            try:
                self._write()
            except StorageError as exc:  # the run goes on; its final write counts
                self._last = self.clock()
                log.warning("%s", exc.message)

    def finish(
        self,
        status: str,
        counts: dict[str, int],
        summary: dict[str, Any],
        error: str | None = None,
    ) -> None:
        if status not in RUN_STATUSES:
            raise ValueError(f"unknown run status {status!r}")
        self.run.update(
            status=status, counts=dict(counts), summary=summary, error=error, completed_at=utc_now()
        )
        try:
            self._write(final=True)
        finally:
            self.registry.release(self.run_id)

    def _write(self, *, final: bool = False) -> None:
        self.run["updated_at"] = utc_now()
        self.registry.save(self.run, use_reserve=final)
        self._last = self.clock()
