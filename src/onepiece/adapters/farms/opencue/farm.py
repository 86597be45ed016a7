"""The ``opencue`` farm: render jobs on an OpenCue farm through pycue.

One submission is one OpenCue job with one layer (the frame range, the chunk
size and the DCC's command from ``[render.commands]``), launched with
``LaunchSpecAndWait`` so the job id is known when ``submit`` returns. The
farm job id is Cuebot's job id. Needs the optional extra
``pip install 'onepiece[opencue]'``; pycue is imported when the farm is built.

Settings: ``[opencue]`` ``hosts`` (``OPENCUE_HOSTS``), ``default_show``
(``OPENCUE_DEFAULT_SHOW``), ``facility`` (``OPENCUE_FACILITY``) and
``timeout_seconds`` (per Cuebot call).
"""

from __future__ import annotations

import os
import secrets
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from onepiece.adapters.farms.opencue.client import (
    CuebotClient,
    current_user,
    load_pycue,
    parse_hosts,
)
from onepiece.adapters.farms.opencue.jobspec import build_spec, spec_for_request
from onepiece.adapters.farms.opencue.summary import (
    farm_job_state,
    frames_from_chunks,
    host_of,
    queue_job,
    state_name,
)
from onepiece.config import Settings
from onepiece.config.model import OpenCueSettings
from onepiece.domain.render import FarmCapabilities, FarmJobState, JobRequest, JobStatus
from onepiece.domain.render_queue import QueueJob
from onepiece.errors import JobRejected

# The details view looks up layer names job by job; beyond this many jobs it
# leaves them out rather than make the page slow.
LAYER_LOOKUP_LIMIT = 50
# Frame records read in one call when converting chunk counters to frames;
# bigger jobs keep Cuebot's per-chunk counters.
FRAME_PAGE = 1000


class OpenCueFarm:
    name = "opencue"

    def __init__(
        self,
        settings: OpenCueSettings,
        commands: dict[str, str] | None = None,
    ) -> None:
        self.hosts = parse_hosts(settings.hosts)
        # Fail here, not on first use, so the farm registry can say what is missing.
        load_pycue()
        self.show = settings.default_show
        self.facility = settings.facility
        self.templates = dict(commands or {})
        self.client = CuebotClient(self.hosts, settings.timeout_seconds)

    def capabilities(self) -> FarmCapabilities:
        return FarmCapabilities(
            name=self.name,
            description=f"OpenCue farm at {self.client.where} (show {self.show or 'not set'})",
            priority_min=1,
            priority_max=1000,
            chunking=True,
            cancellation=True,
        )

    def check(self) -> None:
        """Ask Cuebot one cheap question; raises AdapterUnavailable when it does not answer."""
        if self.show:
            self.client.find_show(self.show)
        else:
            self.client.ping()

    def _require_show(self) -> str:
        if not self.show:
            raise JobRejected(
                "no OpenCue show to submit to",
                hint="set OPENCUE_DEFAULT_SHOW (or [opencue] default_show)",
            )
        return self.show

    def submit(self, request: JobRequest) -> str:
        """Launch one job with one layer; return Cuebot's job id. Raises JobRejected."""
        show = self._require_show()
        me = current_user()
        user = request.user or me
        uid = os.getuid() if user == me and hasattr(os, "getuid") else None
        stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
        spec = spec_for_request(
            request,
            show=show,
            user=user,
            token=f"{stamp}_{secrets.token_hex(2)}",
            templates=self.templates,
            facility=self.facility,
            uid=uid,
        )
        # Asking first turns Cuebot's terse failure into "this show does not exist".
        self.client.find_show(show)
        job = self.client.launch(build_spec(spec))
        return str(job.id)

    def status(self, farm_job_id: str) -> FarmJobState:
        """State and frame counters of one job. Raises JobNotFound.

        Cuebot counts chunks; for a chunked one-layer job (what ``submit``
        makes) the counters are converted to frames, so they match the frame
        range that was submitted.
        """
        job = self.client.get_job(farm_job_id)
        state = farm_job_state(job)
        records: list[Any] | None = None
        if 0 < job.job_stats.total_frames <= FRAME_PAGE:
            layers = self.client.layers(job)
            if len(layers) == 1 and layers[0].chunk_size > 1:
                records = self.client.frames(job, limit=FRAME_PAGE)
                frames = frames_from_chunks(
                    layers[0].range,
                    layers[0].chunk_size,
                    ((record.number, record.state) for record in records),
                    state.frames.failed,
                )
                state = replace(state, frames=frames or state.frames)
        if state.status is JobStatus.failed or job.job_stats.dead_frames:
            state = replace(state, message=self._dead_message(job, state, records))
        return state

    def _dead_message(self, job: Any, state: FarmJobState, records: list[Any] | None) -> str:
        dead_state = 5  # job_pb2.DEAD
        if records is None:
            dead = self.client.frames(job, dead_only=True, limit=3)
        else:
            dead = [record for record in records if record.state == dead_state][:3]
        names = ", ".join(f"{f.name} (exit {f.exit_status})" for f in dead)
        lead = state.message or f"{job.job_stats.dead_frames} dead frame(s) so far"
        return f"{lead}: {names}" if names else lead

    def cancel(self, farm_job_id: str, reason: str | None = None) -> None:
        """Kill the job (a no-op once it has finished). Raises JobNotFound."""
        job = self.client.get_job(farm_job_id)
        if state_name(job.state) in ("FINISHED", "SHUTDOWN"):
            return
        self.client.kill(farm_job_id, f"OnePiece: {reason}" if reason else "")

    def queue(self, *, details: bool) -> list[QueueJob]:
        """Rows for the render queue views; ``details`` adds layers and hosts.

        Raises JobRejected when the configured show does not exist.
        """
        if self.show:
            self.client.find_show(self.show)
        jobs = self.client.jobs(self.show)
        if not details:
            return [queue_job(job) for job in jobs]
        hosts = _hosts_by_job(self.client.procs(self.show))
        # Live jobs first: their layers are what people look for.
        ordered = sorted(jobs, key=lambda job: state_name(job.state) != "PENDING")
        rows = []
        for index, job in enumerate(ordered):
            layers = (
                tuple(layer.name for layer in self.client.layers(job))
                if index < LAYER_LOOKUP_LIMIT
                else None
            )
            rows.append(queue_job(job, layers=layers, hosts=hosts.get(job.name, ())))
        return rows

    def list(self) -> list[FarmJobState]:
        """The show's jobs (all shows when no default show is set), finished ones too."""
        return [farm_job_state(job) for job in self.client.jobs(self.show)]

    def close(self) -> None:
        # pycue's channel is process-wide and shared with other OpenCue farms
        # built from the same settings; it closes itself at exit.
        return None


def _hosts_by_job(procs: list[Any]) -> dict[str, tuple[str, ...]]:
    found: dict[str, list[str]] = {}
    for proc in procs:
        hosts = found.setdefault(proc.job_name, [])
        host = host_of(proc.name)
        if host not in hosts:
            hosts.append(host)
    return {job: tuple(sorted(hosts)) for job, hosts in found.items()}


def create(settings: Settings) -> OpenCueFarm:
    """Factory for the farm registry.

    Raises ConfigError for a malformed OPENCUE_HOSTS and AdapterUnavailable
    (with the install hint) when pycue is not installed. Connects to nothing.
    """
    return OpenCueFarm(settings.opencue, settings.render.commands)
