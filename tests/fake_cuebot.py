"""A Cuebot for tests: the real gRPC protocol from ``opencue_proto``, state in memory.

pycue talks to it exactly as to a production Cuebot (nothing in pycue is
patched). It implements what OnePiece and pycue call: ``GetSystemStats``
(pycue's connection check), ``FindShow``, ``LaunchSpecAndWait``/``LaunchSpec``
(parsing the job spec XML and refusing bad names the way Cuebot does),
``GetJob``/``GetJobs``/``FindJob``, ``GetFrames``, ``GetLayers``, ``Kill`` and
``GetProcs``.

Nothing runs by itself: ``step(job_id)`` is one dispatch cycle (running
frames finish, the next frames start on a host), so tests drive a job to
completion deterministically. ``hold()`` makes every call wait until
``release()``, to play a Cuebot too slow to answer.

Usage::

    def test_x(fake_cuebot):              # fixture: started, stopped afterwards
        fake_cuebot.address               # "127.0.0.1:PORT" for OPENCUE_HOSTS
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent import futures
from typing import Any
from xml.etree import ElementTree

import grpc
import pytest
from opencue_proto import (
    cue_pb2,
    cue_pb2_grpc,
    host_pb2,
    host_pb2_grpc,
    job_pb2,
    job_pb2_grpc,
    show_pb2,
    show_pb2_grpc,
)

from tests.fake_cuebot_state import CuebotState, FakeJob, SpecError


class _Servicers:
    """The gRPC handlers, sharing one state and one gate."""

    def __init__(self, state: CuebotState, gate: threading.Event) -> None:
        self.state = state
        self.gate = gate

    def wrap(self, handler: Callable[[Any, grpc.ServicerContext], Any]) -> Any:
        """A servicer method (static: gRPC calls it as ``method(request, context)``)."""

        def call(request: Any, context: grpc.ServicerContext) -> Any:
            self.gate.wait()
            return handler(request, context)

        return staticmethod(call)

    def find(self, job_id: str, context: grpc.ServicerContext) -> FakeJob:
        entry = self.state.jobs.get(job_id)
        if entry is None:
            context.abort(grpc.StatusCode.NOT_FOUND, f"Failed to find job data: {job_id}")
        return entry


def _build_servicers(servicers: _Servicers) -> list[tuple[Any, Callable[[Any, Any], None]]]:
    state, find, wrap = servicers.state, servicers.find, servicers.wrap

    class Cue(cue_pb2_grpc.CueInterfaceServicer):
        GetSystemStats = wrap(lambda r, c: cue_pb2.CueGetSystemStatsResponse())

    def find_show(request: Any, context: grpc.ServicerContext) -> Any:
        if request.name not in state.shows:
            context.abort(grpc.StatusCode.NOT_FOUND, f"show {request.name} not found")
        show_id = str(uuid.uuid5(uuid.NAMESPACE_DNS, request.name))
        return show_pb2.ShowFindShowResponse(show=show_pb2.Show(id=show_id, name=request.name))

    class Show(show_pb2_grpc.ShowInterfaceServicer):
        FindShow = wrap(find_show)

    def launch_and_wait(request: Any, context: grpc.ServicerContext) -> Any:
        try:
            job = state.launch(request.spec)
        except (SpecError, ElementTree.ParseError, ValueError) as exc:
            context.abort(grpc.StatusCode.INTERNAL, f"Failed to launch and add job: {exc}")
        return job_pb2.JobLaunchSpecAndWaitResponse(jobs=job_pb2.JobSeq(jobs=[job]))

    def launch(request: Any, context: grpc.ServicerContext) -> Any:
        job = launch_and_wait(request, context).jobs.jobs[0]
        return job_pb2.JobLaunchSpecResponse(names=[job.name])

    def get_jobs(request: Any, context: grpc.ServicerContext) -> Any:
        r = request.r
        with state.lock:
            jobs = [entry.snapshot() for entry in state.jobs.values()]
        jobs = [
            job
            for job in jobs
            if (r.include_finished or job.state == job_pb2.PENDING)
            and (not r.shows or job.show in r.shows)
            and (not r.ids or job.id in r.ids)
            and (not r.jobs or job.name in r.jobs)
            and (not r.users or job.user in r.users)
        ]
        return job_pb2.JobGetJobsResponse(jobs=job_pb2.JobSeq(jobs=jobs))

    def find_job(request: Any, context: grpc.ServicerContext) -> Any:
        for entry in list(state.jobs.values()):
            if entry.job.name == request.name and entry.job.state == job_pb2.PENDING:
                return job_pb2.JobFindJobResponse(job=entry.snapshot())
        context.abort(grpc.StatusCode.NOT_FOUND, f"Failed to find job data: {request.name}")

    def get_frames(request: Any, context: grpc.ServicerContext) -> Any:
        entry = find(request.job.id, context)
        states = set(request.req.states.frame_states)
        frames = [f for f in entry.frames if not states or f.state in states]
        limit = request.req.limit or len(frames)
        return job_pb2.JobGetFramesResponse(frames=job_pb2.FrameSeq(frames=frames[:limit]))

    def get_layers(request: Any, context: grpc.ServicerContext) -> Any:
        entry = find(request.job.id, context)
        return job_pb2.JobGetLayersResponse(layers=job_pb2.LayerSeq(layers=[entry.layer]))

    def kill(request: Any, context: grpc.ServicerContext) -> Any:
        find(request.job.id, context)
        state.kill(request.job.id, request.username, request.reason)
        return job_pb2.JobKillResponse()

    class Job(job_pb2_grpc.JobInterfaceServicer):
        LaunchSpecAndWait = wrap(launch_and_wait)
        LaunchSpec = wrap(launch)
        GetJob = wrap(lambda r, c: job_pb2.JobGetJobResponse(job=find(r.id, c).snapshot()))
        GetJobs = wrap(get_jobs)
        FindJob = wrap(find_job)
        GetFrames = wrap(get_frames)
        GetLayers = wrap(get_layers)
        Kill = wrap(kill)

    def get_procs(request: Any, context: grpc.ServicerContext) -> Any:
        r = request.r
        procs = []
        with state.lock:
            for entry in state.jobs.values():
                job = entry.job
                if (r.shows and job.show not in r.shows) or (r.jobs and job.name not in r.jobs):
                    continue
                for frame in entry.frames:
                    if frame.state == job_pb2.RUNNING:
                        host = frame.last_resource.split("/")[0]
                        procs.append(
                            host_pb2.Proc(
                                id=str(uuid.uuid4()),
                                name=f"{host}/1.00",
                                show_name=job.show,
                                job_name=job.name,
                                frame_name=frame.name,
                            )
                        )
        return host_pb2.ProcGetProcsResponse(procs=host_pb2.ProcSeq(procs=procs))

    class Proc(host_pb2_grpc.ProcInterfaceServicer):
        GetProcs = wrap(get_procs)

    return [
        (Cue(), cue_pb2_grpc.add_CueInterfaceServicer_to_server),
        (Show(), show_pb2_grpc.add_ShowInterfaceServicer_to_server),
        (Job(), job_pb2_grpc.add_JobInterfaceServicer_to_server),
        (Proc(), host_pb2_grpc.add_ProcInterfaceServicer_to_server),
    ]


class FakeCuebot:
    """A Cuebot gRPC server on 127.0.0.1 with an ephemeral port."""

    def __init__(self, shows: tuple[str, ...] = ("testing",)) -> None:
        self.state = CuebotState(shows=set(shows))
        self._gate = threading.Event()
        self._gate.set()
        self._server: grpc.Server | None = None
        self.port = 0

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, port: int = 0) -> FakeCuebot:
        """Serve on ``port`` (0: a free one); after stop(), start(self.port) restarts it."""
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
        for servicer, add in _build_servicers(_Servicers(self.state, self._gate)):
            add(servicer, server)
        self.port = server.add_insecure_port(f"127.0.0.1:{port}")
        server.start()
        self._server = server
        return self

    def stop(self) -> None:
        self._gate.set()
        if self._server is not None:
            self._server.stop(grace=None).wait()
            self._server = None

    def hold(self) -> None:
        """Every call waits (the client's deadline expires) until release()."""
        self._gate.clear()

    def release(self) -> None:
        self._gate.set()

    def step(self, job_id: str, **options: Any) -> None:
        self.state.step(job_id, **options)

    def job(self, job_id: str) -> FakeJob:
        return self.state.jobs[job_id]


def reset_pycue() -> None:
    """Drop pycue's process-wide channel (its public API) so no test inherits it."""
    import opencue

    opencue.Cuebot.closeChannel()


@pytest.fixture
def fake_cuebot() -> Iterator[FakeCuebot]:
    """A started fake Cuebot with the show ``testing``; stopped and forgotten afterwards."""
    cuebot = FakeCuebot().start()
    try:
        yield cuebot
    finally:
        cuebot.stop()
        reset_pycue()
