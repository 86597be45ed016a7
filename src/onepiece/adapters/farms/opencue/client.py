"""The one place that talks to pycue: hosts, timeouts and error translation.

pycue keeps its connection in class attributes of ``opencue.Cuebot`` (one
gRPC channel per process) and, left alone, picks hosts from ``CUEBOT_HOSTS``
or its YAML facility table. We never rely on that: before every call the
client makes sure pycue points at *our* hosts (``Cuebot.setHosts``, which
also checks the connection with ``GetSystemStats``) and uses our timeout.

pycue's ``Cuebot.setTimeout`` says milliseconds, but the value is handed to
gRPC as the per-call deadline, which gRPC reads as seconds; we pass seconds.

SDK exceptions become ours here, most specific first: not found ->
JobNotFound (or what the caller asks for), deadline -> AdapterUnavailable
("did not answer"), connection/cancelled -> AdapterUnavailable
("unreachable"), anything else the server says -> JobRejected for writes,
AdapterUnavailable for reads.
"""

from __future__ import annotations

import getpass
import os
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from onepiece.errors import AdapterUnavailable, ConfigError, JobNotFound, JobRejected, OnePieceError

INSTALL_HINT = "install the OpenCue client: pip install 'onepiece[opencue]'"
HOSTS_HINT = "set OPENCUE_HOSTS (or [opencue] hosts) to host:port[,host:port...], e.g. cuebot:8443"

# A show name nobody uses, asked for by ``ping``.
PROBE_SHOW = "onepiece-connection-probe"

_HOST = re.compile(r"^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)$")

# pycue's connection is process-wide. Calls to the hosts it points at run side
# by side; pointing it elsewhere waits until none of them is in flight, so a
# call never goes to another client's Cuebot half way (shared/exclusive use).
_CONNECTION = threading.Condition()
_configured_hosts: tuple[str, ...] | None = None
_calls_in_flight = 0


def parse_hosts(raw: str | None) -> tuple[str, ...]:
    """``"a:8443, b:8443"`` -> ``("a:8443", "b:8443")``; empty -> ``()``.

    Raises ConfigError naming the offending entry (missing port, bad host).
    """
    if raw is None or not raw.strip():
        return ()
    hosts: list[str] = []
    for item in raw.split(","):
        entry = item.strip()
        if not entry:
            continue
        host, sep, port = entry.rpartition(":")
        if not sep or not host:
            raise ConfigError(
                f"OPENCUE_HOSTS entry {entry!r} has no port (from {raw!r})", hint=HOSTS_HINT
            )
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise ConfigError(
                f"OPENCUE_HOSTS entry {entry!r} has an invalid port {port!r} (from {raw!r})",
                hint=HOSTS_HINT,
            )
        if not _HOST.match(host):
            raise ConfigError(
                f"OPENCUE_HOSTS entry {entry!r} has an invalid host name {host!r} (from {raw!r})",
                hint=HOSTS_HINT,
            )
        hosts.append(entry)
    if not hosts:
        raise ConfigError(f"OPENCUE_HOSTS {raw!r} names no host", hint=HOSTS_HINT)
    return tuple(hosts)


def load_pycue() -> Any:
    """Import pycue, or say how to install it."""
    try:
        import opencue  # noqa: TID251
    except ImportError as exc:
        raise AdapterUnavailable(
            "the OpenCue client library (opencue-pycue) is not installed", hint=INSTALL_HINT
        ) from exc
    return opencue


def current_user() -> str:
    """The login name; containers without a passwd entry fall back to $USER."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return os.environ.get("USER") or "onepiece"


class CuebotClient:
    """Calls to one Cuebot deployment, with our hosts, timeout and errors."""

    def __init__(self, hosts: tuple[str, ...], timeout_seconds: float) -> None:
        if not hosts:
            raise ConfigError("OpenCue is not configured: no Cuebot hosts", hint=HOSTS_HINT)
        self.hosts = hosts
        self.timeout_seconds = timeout_seconds

    @property
    def where(self) -> str:
        return ",".join(self.hosts)

    @contextmanager
    def _pycue(self) -> Iterator[Any]:
        """pycue, pointed at our hosts for the whole call (re-pointed if another
        client moved it, once that client's calls are done)."""
        global _configured_hosts, _calls_in_flight
        opencue = load_pycue()
        cuebot = opencue.Cuebot
        with _CONNECTION:
            _CONNECTION.wait_for(lambda: _calls_in_flight == 0 or _configured_hosts == self.hosts)
            if _configured_hosts != self.hosts or cuebot.RpcChannel is None:
                _configured_hosts = None
                cuebot.setTimeout(self.timeout_seconds)
                with self.errors("connect"):
                    cuebot.setHosts(list(self.hosts))
                _configured_hosts = self.hosts
            cuebot.setTimeout(self.timeout_seconds)
            _calls_in_flight += 1
        try:
            yield opencue
        finally:
            with _CONNECTION:
                _calls_in_flight -= 1
                _CONNECTION.notify_all()

    @contextmanager
    def errors(
        self,
        action: str,
        *,
        not_found: Callable[[str], OnePieceError] | None = None,
        write: bool = False,
    ) -> Iterator[None]:
        """Translate pycue and gRPC exceptions raised while doing ``action``."""
        import grpc
        from opencue import exception as cue  # noqa: TID251

        def missing(detail: str) -> OnePieceError:
            return not_found(detail) if not_found else JobNotFound(f"OpenCue: {detail}")

        try:
            yield
        except cue.EntityNotFoundException as exc:
            raise missing(str(exc)) from exc
        except cue.DeadlineExceededException as exc:
            raise self._too_slow(action) from exc
        except (cue.ConnectionException, cue.CancelledException) as exc:
            raise self._unreachable(action, exc) from exc
        except cue.CueException as exc:
            raise self._refused(action, str(exc), write) from exc
        except grpc.RpcError as exc:
            code = exc.code() if isinstance(exc, grpc.Call) else None
            detail = exc.details() if isinstance(exc, grpc.Call) else str(exc)
            if code == grpc.StatusCode.NOT_FOUND:
                raise missing(detail or "not found") from exc
            if code == grpc.StatusCode.DEADLINE_EXCEEDED:
                raise self._too_slow(action) from exc
            if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED, None):
                raise self._unreachable(action, exc) from exc
            raise self._refused(action, f"{code.name}: {detail}", write) from exc

    def _too_slow(self, action: str) -> AdapterUnavailable:
        return AdapterUnavailable(
            f"Cuebot at {self.where} did not answer within {self.timeout_seconds:g}s ({action})",
            hint="Cuebot is overloaded or unreachable; raise OPENCUE_TIMEOUT_SECONDS if it is busy",
            context={"hosts": list(self.hosts)},
        )

    def _unreachable(self, action: str, exc: BaseException) -> AdapterUnavailable:
        return AdapterUnavailable(
            f"cannot reach Cuebot at {self.where} ({action}): {exc}",
            hint="check that Cuebot is running and OPENCUE_HOSTS is right",
            context={"hosts": list(self.hosts)},
        )

    def _refused(self, action: str, detail: str, write: bool) -> OnePieceError:
        if write:
            return JobRejected(f"Cuebot refused to {action}: {detail}")
        return AdapterUnavailable(f"Cuebot failed to {action}: {detail}")

    # -- calls -------------------------------------------------------------

    def ping(self) -> None:
        """One round trip to Cuebot: "no such show" for a made-up name proves it answers."""
        try:
            with self._pycue() as opencue, self.errors("check the connection"):
                opencue.api.findShow(PROBE_SHOW)
        except JobNotFound:
            pass

    def find_show(self, show: str) -> Any:
        def unknown(_detail: str) -> OnePieceError:
            return JobRejected(
                f"OpenCue show {show!r} does not exist on Cuebot at {self.where}",
                hint="create it (cueadmin -create-show NAME) or fix OPENCUE_DEFAULT_SHOW",
                context={"show": show},
            )

        with self._pycue() as opencue, self.errors(f"find show {show!r}", not_found=unknown):
            return opencue.api.findShow(show).data

    def launch(self, spec_xml: str) -> Any:
        """Launch a spec and wait until Cuebot has stored the job; return its record."""
        with self._pycue() as opencue, self.errors("launch the job", write=True):
            jobs = opencue.api.launchSpecAndWait(spec_xml)
        if not jobs:
            raise JobRejected(f"Cuebot at {self.where} accepted the spec but created no job")
        return jobs[0].data

    def get_job(self, job_id: str) -> Any:
        with (
            self._pycue() as opencue,
            self.errors(f"read job {job_id}", not_found=self._no_job(job_id)),
        ):
            return opencue.api.getJob(job_id).data

    def kill(self, job_id: str, reason: str) -> None:
        with (
            self._pycue() as opencue,
            self.errors(f"kill job {job_id}", not_found=self._no_job(job_id), write=True),
        ):
            job = opencue.api.getJob(job_id)
            # Cuebot ignores a manual kill that has no reason, so there always is one.
            job.kill(username=current_user(), reason=reason or "cancelled through OnePiece")

    def jobs(self, show: str | None, *, include_finished: bool = True) -> list[Any]:
        options: dict[str, Any] = {"include_finished": include_finished}
        if show:
            options["show"] = [show]
        with self._pycue() as opencue, self.errors("list jobs"):
            return [job.data for job in opencue.api.getJobs(**options)]

    def layers(self, job: Any) -> list[Any]:
        with (
            self._pycue() as opencue,
            self.errors(f"list layers of {job.name}", not_found=self._no_job(job.id)),
        ):
            return [layer.data for layer in opencue.api.Job(job).getLayers()]

    def frames(self, job: Any, *, dead_only: bool = False, limit: int = 1000) -> list[Any]:
        """Frame records of a job (one per chunk), first ``limit`` in dispatch order."""
        options: dict[str, Any] = {"limit": limit}
        if dead_only:
            options["state"] = [load_pycue().api.Frame.FrameState.DEAD]
        with (
            self._pycue() as opencue,
            self.errors(f"list frames of {job.name}", not_found=self._no_job(job.id)),
        ):
            return [frame.data for frame in opencue.api.Job(job).getFrames(**options)]

    def procs(self, show: str | None) -> list[Any]:
        """Running frames' procs (``host/cores``), for host assignment."""
        options: dict[str, Any] = {"show": [show]} if show else {}
        with self._pycue() as opencue, self.errors("list running procs"):
            return [proc.data for proc in opencue.api.getProcs(**options)]

    def _no_job(self, job_id: str) -> Callable[[str], OnePieceError]:
        def build(_detail: str) -> OnePieceError:
            return JobNotFound(
                f"no OpenCue job {job_id!r} on Cuebot at {self.where}",
                context={"farm_job_id": job_id},
            )

        return build
