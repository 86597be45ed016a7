"""The Farm port: submit, status, cancel, list, capabilities.

Adapters: ``local`` (real subprocesses on this machine, the embedded default),
``mock`` (simulated lifecycle, opt-in demo) and ``opencue`` (pycue). They raise
AdapterUnavailable, AdapterNotImplemented, JobRejected or JobNotFound.
"""

from __future__ import annotations

from typing import Protocol, TypeGuard, runtime_checkable

from onepiece.domain.render import FarmCapabilities, FarmJobState, JobRequest


@runtime_checkable
class Farm(Protocol):
    name: str

    def capabilities(self) -> FarmCapabilities: ...

    def submit(self, request: JobRequest) -> str:
        """Launch the job; return the farm's job id. Raises JobRejected."""

    def status(self, farm_job_id: str) -> FarmJobState:
        """Raises JobNotFound."""

    def cancel(self, farm_job_id: str, reason: str | None = None) -> None: ...

    def list(self) -> list[FarmJobState]: ...

    def close(self) -> None: ...


@runtime_checkable
class PreviewsCommands(Protocol):
    """Optional: a farm that can show the command each chunk would run (``--dry-run``)."""

    def preview_commands(self, request: JobRequest) -> list[dict[str, object]]: ...


@runtime_checkable
class ChecksReachable(Protocol):
    """Optional: a farm behind a server says whether the server answers now.

    ``check`` raises AdapterUnavailable (or JobRejected for a setting the server
    refuses); farms without a server (local, mock) do not implement it.
    """

    def check(self) -> None: ...


@runtime_checkable
class QueuesJobs(Protocol):
    """Optional: a farm that keeps its own queue (the local farm). The service
    records a job, then calls ``start`` (which marks it recorded); on start-up it
    adopts the jobs the farm holds that were never recorded."""

    def start(self, farm_job_id: str) -> None: ...

    def unrecorded_jobs(self) -> list[tuple[str, JobRequest]]: ...


def queues_jobs(farm: object) -> TypeGuard[QueuesJobs]:
    """``isinstance(farm, QueuesJobs)``, answered once per class.

    A runtime Protocol check walks the protocol's attributes on every call,
    which cost 3% of a submit's CPU under load (docs/benchmarks.md).
    """
    kind = type(farm)
    known = _QUEUES_JOBS.get(kind)
    if known is None:
        known = _QUEUES_JOBS[kind] = issubclass(kind, QueuesJobs)
    return known


_QUEUES_JOBS: dict[type, bool] = {}
