"""The local farm's runner: ``python -m onepiece.adapters.farms.local.runner ROOT MAX``.

The local farm starts runners only for work it renders now: at most ``MAX``
(``max_concurrency``) at once, each detached in its own session, so jobs keep
rendering after the submitting CLI exits or the web service restarts. A runner
takes queued jobs one after the other (``queue``) and exits when the
queue is empty. For each job it reads ``job.json`` (chunks with their argv), renders the
chunks as subprocesses (each in its own session, so its whole process tree is
one group), at most ``max_concurrency`` at once across ALL local jobs (flock
slots shared by every runner), and keeps ``state.json`` current (atomic
writes) for ``LocalFarm.status`` to read from any process.

Cancel is the job's ``cancel`` marker file (or SIGTERM, which also stops the
runner taking more jobs): the runner kills every running chunk's process group
(SIGTERM, then SIGKILL after a grace period), starts no new chunk and records
the job as cancelled.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from onepiece.adapters.farms.local.queue import claim_next, queued, runner_slot
from onepiece.atomicio import write_json
from onepiece.processes import started_at

KILL_GRACE_SECONDS = 3.0
STATE_WRITE_INTERVAL = 0.1
SLOT_POLL_SECONDS = 0.05
CANCEL_POLL_SECONDS = 0.2  # how often a runner looks for its job's cancel marker
STOPPING = threading.Event()  # SIGTERM: finish (cancel) this job, take no more


def _now() -> str:
    return datetime.now(UTC).isoformat()


class ChunkRun:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.index: int = spec["index"]
        self.count: int = spec["count"]
        self.argv: list[str] = spec["argv"]
        self.status = "waiting"
        self.done = 0
        self.pid: int | None = None
        self.returncode: int | None = None
        self.log = f"logs/chunk-{self.index:04d}.log"

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "status": self.status,
            "count": self.count,
            "done": self.done,
            "pid": self.pid,
            "returncode": self.returncode,
            "log": self.log,
        }


class Runner:
    def __init__(self, job_dir: Path) -> None:
        self.job_dir = job_dir
        self.job = json.loads((job_dir / "job.json").read_text(encoding="utf-8"))
        self.chunks = [ChunkRun(spec) for spec in self.job["chunks"]]
        self.pattern = re.compile(self.job["progress_pattern"])
        self.lock = threading.Lock()
        self.write_lock = threading.Lock()
        self.pending = deque(self.chunks)
        self.procs: dict[int, subprocess.Popen[bytes]] = {}
        self.cancel = threading.Event()  # cancel requested (SIGTERM or marker file)
        self.wake_killer = threading.Event()
        self.changed = threading.Event()
        self.workers_done = threading.Event()
        self.started_at = _now()
        self.runner_started = started_at()

    # -- state -----------------------------------------------------------
    def write_state(self, status: str | None = None, message: str | None = None) -> None:
        # Serialised, snapshot taken inside: the last file written is the newest state.
        with self.write_lock:
            self._write_state(status or self.live_status, message)

    @property
    def live_status(self) -> str:
        return "cancelling" if self.cancel.is_set() else "running"

    def _write_state(self, status: str, message: str | None) -> None:
        with self.lock:
            chunks = [c.to_dict() for c in self.chunks]
        state = {
            "status": status,
            "runner_pid": os.getpid(),
            "runner_started": self.runner_started,  # with the pid: a reused pid is not ours
            "started_at": self.started_at,
            "finished_at": _now() if status in ("succeeded", "failed", "cancelled") else None,
            "message": message,
            "chunks": chunks,
        }
        write_json(self.job_dir / "state.json", state)

    # -- cancellation ----------------------------------------------------
    def _on_sigterm(self, signum: int, frame: object) -> None:
        # Only set flags here: the killer thread does the work outside the handler.
        STOPPING.set()
        self._cancel_now()

    def _cancel_now(self) -> None:
        self.cancel.set()
        self.wake_killer.set()
        self.changed.set()

    def _killer(self) -> None:
        self.wake_killer.wait()
        if self.workers_done.is_set():
            return
        self._signal_running(signal.SIGTERM)
        if not self.workers_done.wait(KILL_GRACE_SECONDS):
            self._signal_running(signal.SIGKILL)

    def _signal_running(self, sig: signal.Signals) -> None:
        with self.lock:
            pids = [proc.pid for proc in self.procs.values() if proc.poll() is None]
        for pid in pids:
            # Chunks run in their own session: pid == pgid, the group holds the renderer's tree.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, sig)

    # -- slots -----------------------------------------------------------
    def _acquire_slot(self) -> int | None:
        slots = Path(self.job["slots_dir"])
        slots.mkdir(parents=True, exist_ok=True)
        while not self.cancel.is_set():
            for i in range(int(self.job["max_concurrency"])):
                fd = os.open(slots / f"slot-{i}.lock", os.O_RDWR | os.O_CREAT, 0o644)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    os.close(fd)
                    continue
                return fd
            self.cancel.wait(SLOT_POLL_SECONDS)
        return None

    # -- chunks ----------------------------------------------------------
    def _worker(self) -> None:
        while not self.cancel.is_set():
            with self.lock:
                if not self.pending:
                    return
                chunk = self.pending.popleft()
            slot = self._acquire_slot()
            if slot is None:
                return
            try:
                self._run_chunk(chunk)
                # Recorded before the slot is freed: state.json never shows more
                # running chunks than there are slots.
                self.write_state()
            finally:
                os.close(slot)  # closing the descriptor releases the flock

    def _run_chunk(self, chunk: ChunkRun) -> None:
        log_path = self.job_dir / chunk.log
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(log_path, "ab") as log:
            with self.lock:
                if self.cancel.is_set():
                    return
                try:
                    proc = subprocess.Popen(
                        chunk.argv,
                        stdin=subprocess.DEVNULL,
                        stdout=subprocess.PIPE,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                except OSError as exc:
                    log.write(f"cannot start {chunk.argv[0]}: {exc}\n".encode())
                    chunk.status = "failed"
                    self.changed.set()
                    return
                self.procs[chunk.index] = proc
                chunk.status, chunk.pid = "running", proc.pid
            self.changed.set()
            self._follow(chunk, proc, log)
            returncode = proc.wait()
        with self.lock:
            del self.procs[chunk.index]
            chunk.returncode = returncode
            if returncode == 0:
                chunk.status, chunk.done = "succeeded", chunk.count
            else:
                chunk.status = "cancelled" if self.cancel.is_set() else "failed"
        self.changed.set()

    def _follow(self, chunk: ChunkRun, proc: subprocess.Popen[bytes], log: IO[bytes]) -> None:
        if proc.stdout is None:  # never: Popen was given stdout=PIPE
            return
        for raw in proc.stdout:
            log.write(raw)
            log.flush()
            if self.pattern.search(raw.decode("utf-8", "replace")):
                with self.lock:
                    chunk.done = min(chunk.done + 1, chunk.count)
                self.changed.set()

    # -- main ------------------------------------------------------------
    def run(self) -> int:
        signal.signal(signal.SIGTERM, self._on_sigterm)
        signal.signal(signal.SIGINT, self._on_sigterm)
        if (self.job_dir / "cancel").exists():
            self.cancel.set()  # cancelled before this runner could install its handler
        Path(self.job.get("output_dir") or ".").mkdir(parents=True, exist_ok=True)
        threading.Thread(target=self._killer, name="killer", daemon=True).start()
        count = max(1, min(int(self.job["max_concurrency"]), len(self.chunks)))
        workers = [threading.Thread(target=self._worker, name=f"w{i}") for i in range(count)]
        for worker in workers:
            worker.start()
        self.write_state("running")
        last = 0.0
        while any(w.is_alive() for w in workers):
            self.changed.wait(CANCEL_POLL_SECONDS)
            self.changed.clear()
            if not self.cancel.is_set() and (self.job_dir / "cancel").exists():
                self._cancel_now()
            # Throttled: a fast renderer prints many frames a second.
            time.sleep(max(0.0, last + STATE_WRITE_INTERVAL - time.monotonic()))
            self.write_state()
            last = time.monotonic()
        self.workers_done.set()
        self.wake_killer.set()
        status, message = self._outcome()
        self.write_state(status, message)
        return 0

    def _outcome(self) -> tuple[str, str | None]:
        unfinished = [c for c in self.chunks if c.status != "succeeded"]
        if self.cancel.is_set() and unfinished:
            with self.lock:
                for chunk in unfinished:
                    if chunk.status == "waiting":
                        chunk.status = "cancelled"  # never started: will not render
            marker = self.job_dir / "cancel"
            reason = marker.read_text(encoding="utf-8").strip() if marker.exists() else ""
            return "cancelled", f"cancelled: {reason}" if reason else "cancelled"
        failed = [c for c in self.chunks if c.status == "failed"]
        if failed:
            first = failed[0]
            return "failed", (
                f"{len(failed)} of {len(self.chunks)} chunks failed (see {first.log}, "
                f"exit code {first.returncode})"
            )
        return "succeeded", None


def _render(job_dir: Path) -> None:
    try:
        Runner(job_dir).run()
    except (OSError, ValueError, KeyError) as exc:  # an unreadable job folder: fail that job
        state = {"status": "failed", "message": f"the local runner could not run it: {exc}",
                 "finished_at": _now(), "chunks": []}  # fmt: skip
        write_json(job_dir / "state.json", state)


def serve(root: Path, max_concurrency: int, slot: int | None = None) -> int:
    """Render queued jobs while holding a runner slot; exit when the queue is empty.

    ``slot``: the runner slot its starter took and handed over (an inherited flock).
    """
    while not STOPPING.is_set():
        if slot is None:
            slot = runner_slot(root, max_concurrency)
        if slot is None:
            return 0  # enough runners already: they take the queue
        try:
            while not STOPPING.is_set() and (claimed := claim_next(root)) is not None:
                job_dir, lock = claimed
                try:
                    _render(job_dir)
                finally:
                    os.close(lock)
        finally:
            os.close(slot)
            slot = None
        # Re-checked after the slot is freed: a job queued while this runner held
        # the last slot (so its submitter started no runner) is not left waiting.
        if not queued(root):
            return 0
    return 0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) not in (2, 3) or not all(a.isdigit() for a in args[1:]):
        print("usage: python -m onepiece.adapters.farms.local.runner ROOT MAX [SLOT_FD]",
              file=sys.stderr)  # fmt: skip
        return 2
    slot = int(args[2]) if len(args) == 3 else None
    if slot is not None:
        os.ftruncate(slot, 0)
        os.write(slot, str(os.getpid()).encode())  # the holder, as runner_slot records it
    return serve(Path(args[0]), int(args[1]), slot)


if __name__ == "__main__":
    raise SystemExit(main())
