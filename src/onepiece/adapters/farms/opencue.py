"""The ``opencue`` farm: render jobs on an OpenCue farm through pycue.

One submission is one OpenCue job with one layer (the frame range, the chunk
size and the DCC's command from ``[render.commands]``), launched with
``LaunchSpecAndWait`` so the job id is known when ``submit`` returns. The
farm job id is Cuebot's job id. Needs the optional extra
``pip install 'onepiece[opencue]'``; pycue is imported on first use.

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

from onepiece.adapters.farms.opencue_client import CuebotClient, current_user, parse_hosts
from onepiece.adapters.farms.opencue_jobspec import build_spec, spec_for_request
from onepiece.adapters.farms.opencue_summary import (
    farm_job_state,
    host_of,
    queue_job,
    state_name,
)
from onepiece.config import Settings
from onepiece.config.model import OpenCueSettings
from onepiece.domain.render import FarmCapabilities, FarmJobState, JobRequest
from onepiece.domain.render_queue import QueueJob
from onepiece.errors import JobRejected

# The details view looks up layer names job by job; beyond this many jobs it
# leaves them out rather than make the page slow.
LAYER_LOOKUP_LIMIT = 50


class OpenCueFarm:
    name = "opencue"

    def __init__(
        self,
        settings: OpenCueSettings,
        commands: dict[str, str] | None = None,
    ) -> None:
        self.hosts = parse_hosts(settings.hosts)
        self.show = settings.default_show
        self.facility = settings.facility
        self.commands = dict(commands or {})
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
            templates=self.commands,
            facility=self.facility,
            uid=uid,
        )
        # Asking first turns Cuebot's terse failure into "this show does not exist".
        self.client.find_show(show)
        job = self.client.launch(build_spec(spec))
        return str(job.id)

    def status(self, farm_job_id: str) -> FarmJobState:
        """State and frame counters of one job. Raises JobNotFound."""
        job = self.client.get_job(farm_job_id)
        state = farm_job_state(job)
        if state.frames.dead:
            dead = self.client.dead_frames(job)
            names = ", ".join(f"{f.name} (exit {f.exit_status})" for f in dead)
            lead = state.message or f"{state.frames.dead} dead frame(s) so far"
            state = replace(state, message=f"{lead}: {names}" if names else lead)
        return state

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
            layers = self.client.layer_names(job) if index < LAYER_LOOKUP_LIMIT else None
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
    """Factory for the farm registry. Raises ConfigError for a malformed OPENCUE_HOSTS."""
    return OpenCueFarm(settings.opencue, settings.render.commands)
