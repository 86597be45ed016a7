"""In-memory Cuebot state for tests/fake_cuebot.py: jobs, frames, dispatch and kill.

Follows Cuebot's own rules where OnePiece depends on them: names are conformed
(three or more of ``[a-z0-9_.]``), root may not launch, one frame record per
chunk named ``NNNN-layer``, a kill without a reason is ignored, a kill puts
running frames back to waiting and finishes the job.
"""

from __future__ import annotations

import itertools
import re
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from xml.etree import ElementTree

import fileseq
from opencue_proto import job_pb2

_NAME = re.compile(r"^[\w.]{3,}$")
HOSTS = ("render01", "render02")


class SpecError(Exception):
    """The spec breaks one of Cuebot's rules."""


@dataclass
class FakeJob:
    job: job_pb2.Job
    layer: job_pb2.Layer
    frames: list[job_pb2.Frame]
    kill_reason: str | None = None
    killed_by: str | None = None
    failed_attempts: int = 0
    spec: str = ""

    def snapshot(self) -> job_pb2.Job:
        copy = job_pb2.Job()
        copy.CopyFrom(self.job)
        count = {state: 0 for state in job_pb2.FrameState.values()}
        for frame in self.frames:
            count[frame.state] += 1
        copy.job_stats.CopyFrom(
            job_pb2.JobStats(
                total_layers=1,
                total_frames=len(self.frames),
                waiting_frames=count[job_pb2.WAITING],
                running_frames=count[job_pb2.RUNNING],
                succeeded_frames=count[job_pb2.SUCCEEDED],
                dead_frames=count[job_pb2.DEAD],
                eaten_frames=count[job_pb2.EATEN],
                depend_frames=count[job_pb2.DEPEND],
                pending_frames=count[job_pb2.WAITING] + count[job_pb2.DEPEND],
                failed_frame_count=self.failed_attempts,
            )
        )
        return copy


@dataclass
class CuebotState:
    shows: set[str] = field(default_factory=lambda: {"testing"})
    jobs: dict[str, FakeJob] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # Set to make every launch fail with this reason (Cuebot's INTERNAL error).
    refuse: str | None = None

    def _conform(self, kind: str, name: str | None) -> str:
        value = (name or "").replace("-", "_").lower()
        if not _NAME.match(value):
            raise SpecError(f"The {kind} name: {value} is not in the proper format.")
        return value

    def launch(self, spec: str) -> job_pb2.Job:
        """Create the job a spec describes, like Cuebot's JobSpec + JobLauncher."""
        if self.refuse:
            raise SpecError(self.refuse)
        root = ElementTree.fromstring(spec)
        show = root.findtext("show") or ""
        shot = self._conform("Shot", root.findtext("shot"))
        user = root.findtext("user") or ""
        uid = root.findtext("uid")
        if user == "root" or uid == "0":
            raise SpecError("Cannot launch jobs as root.")
        if show not in self.shows:
            raise SpecError(f"show {show} does not exist")
        job_tag = root.find("job")
        if job_tag is None:
            raise SpecError("the spec has no job")
        suffix = self._conform("Job", job_tag.get("name"))
        layer_tag = job_tag.find("layers/layer")
        if layer_tag is None:
            raise SpecError(f"The job {suffix} has no layers")
        layer_name = self._conform("Layer", layer_tag.get("name"))
        chunk = int(layer_tag.findtext("chunk") or "1")
        numbers = list(fileseq.FrameSet(layer_tag.findtext("range") or ""))
        name = f"{show}-{shot}-{user}_{suffix}"
        with self.lock:
            if any(
                j.job.name == name and j.job.state == job_pb2.PENDING for j in self.jobs.values()
            ):
                raise SpecError(f"a job named {name} is already pending")
            job_id = str(uuid.uuid4())
            job = job_pb2.Job(
                id=job_id,
                name=name,
                state=job_pb2.PENDING,
                show=show,
                shot=shot,
                user=user,
                facility=root.findtext("facility") or "local",
                priority=int(job_tag.findtext("priority") or "1"),
                start_time=int(time.time()),
                log_dir=f"/shots/{show}/{shot}/logs/{name}",
            )
            layer = job_pb2.Layer(
                id=str(uuid.uuid4()),
                name=layer_name,
                range=layer_tag.findtext("range") or "",
                chunk_size=chunk,
                command=layer_tag.findtext("cmd") or "",
                type=job_pb2.RENDER,
            )
            # Cuebot makes one frame record per chunk, named by its first frame.
            frames = [
                job_pb2.Frame(
                    id=str(uuid.uuid4()),
                    name=f"{number:04d}-{layer_name}",
                    layer_name=layer_name,
                    number=number,
                    state=job_pb2.WAITING,
                )
                for number in numbers[::chunk]
            ]
            self.jobs[job_id] = FakeJob(job, layer, frames, spec=spec)
            return self.jobs[job_id].snapshot()

    def step(self, job_id: str, *, fail: Iterable[int] = (), slots: int = 2):
        """One dispatch cycle: running frames end (``fail`` numbers die), then more start."""
        failing = set(fail)
        now = int(time.time())
        with self.lock:
            entry = self.jobs[job_id]
            if entry.job.state == job_pb2.FINISHED:
                return
            for frame in entry.frames:
                if frame.state == job_pb2.RUNNING:
                    frame.stop_time = now
                    if frame.number in failing:
                        frame.state, frame.exit_status = job_pb2.DEAD, 1
                        entry.failed_attempts += 1
                    else:
                        frame.state, frame.exit_status = job_pb2.SUCCEEDED, 0
            waiting = [f for f in entry.frames if f.state == job_pb2.WAITING]
            for frame, host in zip(waiting[:slots], itertools.cycle(HOSTS), strict=False):
                frame.state, frame.start_time = job_pb2.RUNNING, now
                frame.last_resource = f"{host}/1.00/0"
            done = {job_pb2.SUCCEEDED, job_pb2.EATEN}
            if all(f.state in done for f in entry.frames):
                entry.job.state, entry.job.stop_time = job_pb2.FINISHED, now

    def kill(self, job_id: str, username: str, reason: str) -> None:
        with self.lock:
            entry = self.jobs[job_id]
            if not reason:  # Cuebot logs "Invalid Job Kill Request" and does nothing
                return
            for frame in entry.frames:
                if frame.state == job_pb2.RUNNING:
                    frame.state = job_pb2.WAITING
            entry.job.state, entry.job.stop_time = job_pb2.FINISHED, int(time.time())
            entry.kill_reason, entry.killed_by = reason, username
