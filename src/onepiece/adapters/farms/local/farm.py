"""The ``local`` farm, the embedded default: real renders on this machine.

``submit`` splits the frames into chunks, builds one renderer command per chunk
from the DCC's template (``domain.render_commands``), writes them to
``<data_dir>/farm/local/jobs/<id>/job.json`` and queues the job (a file, see
``queue``); ``start`` (called once the job is recorded in the history)
starts a detached runner process (``runner``) when fewer than
``max_concurrency`` run, so a queued job costs a record, not a process.
Everything the farm knows lives in files (``state.json``, per-chunk logs
under ``logs/``, the queue), so any process (the CLI, the web service, after a
restart) can read status, cancel, or start runners for queued work.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import onepiece
from onepiece.adapters.farms.local import queue
from onepiece.adapters.farms.local.state import frame_counts, parse_time
from onepiece.atomicio import write_json, write_text
from onepiece.config import Settings
from onepiece.domain.frames import chunk_frames, parse_frames
from onepiece.domain.render import (
    FarmCapabilities,
    FarmJobState,
    JobRequest,
    JobStatus,
)
from onepiece.domain.render_commands import build_commands, progress_pattern, templates
from onepiece.errors import JobNotFound, JobRejected, SceneNotFound

CANCEL_WAIT_SECONDS = 10.0
_FINAL = ("succeeded", "failed", "cancelled")
_STATUS = {
    "queued": JobStatus.queued,
    "running": JobStatus.running,
    "cancelling": JobStatus.running,
    "succeeded": JobStatus.succeeded,
    "failed": JobStatus.failed,
    "cancelled": JobStatus.cancelled,
}


def _program(template: str) -> str:
    """The renderer a command template starts (its first word)."""
    try:
        words = shlex.split(template)
    except ValueError:
        return template.split()[0] if template.split() else ""
    return words[0] if words else ""


class LocalFarm:
    name = "local"

    def __init__(
        self,
        root: Path,
        *,
        max_concurrency: int = 2,
        commands: dict[str, str] | None = None,
        executables: dict[str, str] | None = None,
    ) -> None:
        self.root = root
        self.max_concurrency = max_concurrency
        self.templates = templates(commands)
        self.executables = {k.lower(): v for k, v in (executables or {}).items()}
        self._runners: dict[str, subprocess.Popen[bytes]] = {}

    def capabilities(self) -> FarmCapabilities:
        found, missing = self.installed_dccs()
        not_installed = f" (not installed: {', '.join(missing)})" if missing else ""
        return FarmCapabilities(
            name=self.name,
            description=(
                f"this machine: one renderer process per chunk, at most "
                f"{self.max_concurrency} at once; DCCs: {', '.join(found)}{not_installed}"
            ),
            priority_min=0,
            priority_max=100,
            chunking=True,
            cancellation=True,
            dccs=tuple(found),
            missing_dccs=tuple(missing),
        )

    def installed_dccs(self) -> tuple[list[str], list[str]]:
        """DCCs whose renderer is on this machine (configured path or PATH), and the rest."""
        found: list[str] = []
        missing: list[str] = []
        for dcc in sorted(self.templates):
            program = self.executables.get(dcc) or _program(self.templates[dcc])
            # A placeholder ({python}) is filled by us: always there.
            available = program.startswith("{") or shutil.which(program) is not None
            (found if available else missing).append(dcc)
        return found, missing

    def _job_dir(self, farm_job_id: str) -> Path:
        if not farm_job_id.startswith("local-") or "/" in farm_job_id or ".." in farm_job_id:
            raise JobNotFound(f"no local job {farm_job_id!r}", context={"id": farm_job_id})
        return self.root / "jobs" / farm_job_id

    def _resolve_executable(self, dcc: str, argv: list[str]) -> list[str]:
        program = self.executables.get(dcc, argv[0])
        found = shutil.which(program)
        if found is None:
            raise JobRejected(
                f"{dcc} renderer {program!r} not found on this machine",
                hint=f"install it, put it on PATH or set [dcc.executables] {dcc} = PATH",
                context={"dcc": dcc, "program": program},
            )
        return [found, *argv[1:]]

    def preview_commands(
        self, request: JobRequest, farm_job_id: str = "local-dryrun"
    ) -> list[dict[str, Any]]:
        """The renderer command of every chunk, as ``submit`` would run them."""
        scene = os.path.abspath(request.scene)
        if not os.path.isfile(scene):  # checked for a dry run too: nothing would render
            raise SceneNotFound(
                f"scene not found: {scene}",
                hint="check --scene: the local farm renders files on this machine",
                context={"scene": scene},
            )
        output = os.path.abspath(request.output)
        chunks = chunk_frames(parse_frames(request.frames), request.chunk_size)
        dcc = request.dcc.lower()
        commands = build_commands(
            dcc,
            self.templates,
            chunks=chunks,
            scene=scene,
            output=output,
            job=farm_job_id,
            python=sys.executable,
        )
        argv0 = self._resolve_executable(dcc, commands[0].argv)[0]
        return [
            {
                "index": c.chunk.index,
                "frames": c.chunk.frame_set,
                "count": c.chunk.count,
                "argv": [argv0, *c.argv[1:]],
            }
            for c in commands
        ]

    def submit(self, request: JobRequest) -> str:
        farm_job_id = f"local-{uuid.uuid4().hex[:12]}"
        chunks = self.preview_commands(request, farm_job_id)
        job_dir = self._job_dir(farm_job_id)
        job = {
            "farm_job_id": farm_job_id,
            "dcc": request.dcc.lower(),
            "priority": request.priority,
            "max_concurrency": self.max_concurrency,
            "slots_dir": str(self.root / "slots"),
            "progress_pattern": progress_pattern(request.dcc).pattern,
            "output_dir": os.path.dirname(os.path.abspath(request.output)),
            "chunks": chunks,
            "request": asdict(request),  # to adopt the job if its submitter never recorded it
        }
        write_json(job_dir / "job.json", job)
        pending = [
            {"index": c["index"], "status": "waiting", "count": c["count"], "done": 0, "pid": None}
            for c in chunks
        ]
        write_json(job_dir / "state.json", {"status": "queued", "chunks": pending})
        queue.enqueue(self.root, farm_job_id, request.priority)
        return farm_job_id

    def start(self, farm_job_id: str) -> None:
        """Mark the job recorded; start a runner if fewer than the limit run."""
        if farm_job_id:
            queue.mark_recorded(self._job_dir(farm_job_id))
        runner = self._kick()
        if runner is not None:  # kept to reap it (and, by job, for status)
            self._runners[farm_job_id or f"pid-{runner.pid}"] = runner

    def _start_runner(self, farm_job_id: str) -> None:
        runner = self._kick()
        if runner is not None:
            self._runners[farm_job_id] = runner

    def _kick(self) -> subprocess.Popen[bytes] | None:
        if not queue.queued(self.root):
            return None
        # The slot is taken here and handed to the runner (an inherited flock), so a
        # runner is only ever started with a slot: never more than the limit.
        slot = queue.runner_slot(self.root, self.max_concurrency)
        if slot is None:
            return None  # the running runners take the queue in turn
        try:
            runner = self._spawn_runner(slot)
        finally:
            os.close(slot)  # the runner's inherited descriptor keeps the lock
        return runner

    def unrecorded_jobs(self) -> list[tuple[str, JobRequest]]:
        """Jobs in the farm's folders no history recorded (see ``queue``)."""
        return queue.unrecorded(self.root)

    def _spawn_runner(self, slot: int) -> subprocess.Popen[bytes]:
        # The runner imports onepiece from wherever this process did.
        package_parent = str(Path(onepiece.__file__).resolve().parent.parent)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_parent, env.get("PYTHONPATH")]))
        argv = [sys.executable, "-m", "onepiece.adapters.farms.local.runner"]
        with open(self.root / "runner.log", "ab") as log:
            return subprocess.Popen(
                [*argv, str(self.root), str(self.max_concurrency), str(slot)],
                pass_fds=(slot,),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.root,
                env=env,
                start_new_session=True,  # survives the submitting process; killable as a group
            )

    def _read_state(self, farm_job_id: str) -> dict[str, Any]:
        job_dir = self._job_dir(farm_job_id)
        try:
            data: dict[str, Any] = json.loads((job_dir / "state.json").read_text("utf-8"))
        except FileNotFoundError as exc:
            raise JobNotFound(f"no local job {farm_job_id!r}", context={"id": farm_job_id}) from exc
        return data

    def _runner_alive(self, farm_job_id: str, state: dict[str, Any]) -> bool:
        """Queued (waiting for a runner), or a runner holds the job's lock."""
        runner = self._runners.get(farm_job_id)
        if runner is not None and runner.poll() is not None:  # poll() reaps our own child
            del self._runners[farm_job_id]
        if state.get("status") == queue.QUEUED:
            return True
        return queue.is_locked(self._job_dir(farm_job_id) / "run.lock")

    def status(self, farm_job_id: str) -> FarmJobState:
        state = self._read_state(farm_job_id)
        if state.get("status") == queue.QUEUED:
            self._start_runner(farm_job_id)  # queued while none ran: whoever looks starts one
        if not _STATUS.get(state.get("status", ""), JobStatus.failed).finished and (
            not self._runner_alive(farm_job_id, state)
        ):
            # A runner writes the outcome before it lets go of the job, so what
            # the state says once no runner holds it is final: read it again (the
            # runner may have finished since the first read) before calling it dead.
            state = self._read_state(farm_job_id)
            if not _STATUS.get(state.get("status", ""), JobStatus.failed).finished:
                state = {**state, "status": "failed",
                         "message": "the local runner exited unexpectedly"}  # fmt: skip
        status = _STATUS.get(state.get("status", ""), JobStatus.failed)
        message = state.get("message")
        return FarmJobState(
            farm_job_id=farm_job_id,
            status=status,
            frames=frame_counts(state.get("chunks", []), state.get("status", "")),
            message=message,
            started_at=parse_time(state.get("started_at")),
            finished_at=parse_time(state.get("finished_at")),
            extra={"job_dir": str(self._job_dir(farm_job_id)), "chunks": state.get("chunks", [])},
        )

    def cancel(self, farm_job_id: str, reason: str | None = None) -> None:
        state = self._read_state(farm_job_id)
        if state.get("status") in _FINAL:
            return
        job_dir = self._job_dir(farm_job_id)
        # The marker first: a runner that takes the job from now on sees it.
        write_text(job_dir / "cancel", (reason or "cancelled by user") + "\n")
        lock = queue.try_lock(job_dir / "run.lock")
        if lock is not None:  # no runner on it: still queued, or its runner died
            try:
                queue.dequeue(self.root, farm_job_id)
                self._force_cancel(farm_job_id, job_dir, reason, runner_gone=True)
            finally:
                os.close(lock)
            return
        if not self._wait_finished(farm_job_id):
            self._force_cancel(farm_job_id, job_dir, reason)

    def _wait_finished(self, farm_job_id: str) -> bool:
        """Wait for the runner to see the cancel marker and record the outcome."""
        deadline = time.monotonic() + CANCEL_WAIT_SECONDS
        while time.monotonic() < deadline and not self.status(farm_job_id).status.finished:
            time.sleep(0.05)
        # The runner's own record, not status(): a runner killed before it could
        # write "cancelled" must still be force-cancelled.
        return self._read_state(farm_job_id).get("status") in _FINAL

    def _force_cancel(
        self, farm_job_id: str, job_dir: Path, reason: str | None, runner_gone: bool = False
    ) -> None:
        """The runner is gone or stuck: kill what it left behind and record the cancel."""
        state = self._read_state(farm_job_id)
        for chunk in state.get("chunks", []):
            if chunk.get("status") == "running" and chunk.get("pid"):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(int(chunk["pid"]), signal.SIGKILL)
            if chunk.get("status") in ("running", "waiting"):
                chunk["status"] = "cancelled"
        runner_pid = state.get("runner_pid")
        if runner_pid and not runner_gone and queue.is_locked(job_dir / "run.lock"):  # stuck
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(int(runner_pid), signal.SIGKILL)
        state.update(status="cancelled", message=f"cancelled: {reason or 'cancelled by user'}")
        state["finished_at"] = datetime.now(UTC).isoformat()
        write_json(job_dir / "state.json", state)

    def list(self) -> list[FarmJobState]:
        jobs_dir = self.root / "jobs"
        if not jobs_dir.is_dir():
            return []
        states = []
        for entry in sorted(jobs_dir.iterdir()):
            with contextlib.suppress(JobNotFound):
                states.append(self.status(entry.name))
        return states

    def close(self) -> None:
        # Runners keep rendering after we go (that is the point); reap the finished ones.
        for runner in self._runners.values():
            runner.poll()


def create(settings: Settings) -> LocalFarm:
    return LocalFarm(
        settings.local_farm_root,
        max_concurrency=settings.render.max_concurrency,
        commands=settings.render.commands,
        executables=settings.dcc.executables,
    )
