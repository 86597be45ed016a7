"""``aws sync-to`` / ``sync-from``: check the request, run s5cmd, summarise exactly.

The s5cmd driver (binary, command line, environment, output reading) is
``adapters/storage/s5cmd.py``; this use case validates names and paths, runs
s5cmd, asks S3 why once something fails (``checks``), and turns what s5cmd
reported into an exact summary (transferred, skipped, failed).

The question to S3 waits for the first failure because asking costs a
third of a second (boto3's import, a client, one request) where a small sync
takes a few tens of milliseconds; a sync that fails nothing never asks.
Failure lines are held back until it is answered, so a missing bucket or
credential chain is still one line, not one line per file.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from onepiece.adapters.storage import s5cmd
from onepiece.config import Settings
from onepiece.domain.bucket_names import validate_bucket
from onepiece.domain.s5cmd_output import SyncSummary
from onepiece.domain.safe_paths import check_name, safe_relative_path
from onepiece.errors import OnePieceError, ValidationError
from onepiece.services.sync.checks import (
    MISSING_BUCKET_HINT,
    NO_CREDENTIALS,
    check_remote,
    credentials_error,
    local_files,
    profile_is_named,
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
    if request.direction == "to":
        source, destination = local, remote
    else:
        source, destination = remote + "*", local
    return s5cmd.sync_command(
        binary,
        source=source,
        destination=destination,
        include=request.include,
        exclude=request.exclude,
        dry_run=request.dry_run,
        retries=request.retries,
        endpoint_url=settings.storage.endpoint_url,
    )


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


class _AskOnFirstFailure:
    """Passes s5cmd's events on as they come; the first failure waits for ``check``.

    ``check`` raises for a problem that fails everything (credentials, a
    profile) or returns why the bucket cannot be used; either stops s5cmd and
    nothing more is shown. Otherwise the failures were the files' own.
    """

    def __init__(
        self,
        check: Callable[[], str | None],
        summary: SyncSummary,
        forward: Callable[[dict[str, Any]], None] | None,
    ) -> None:
        self._check = check
        self._summary = summary
        self._forward = forward
        self._lock = threading.Lock()
        self._asked = False
        self.fatal: OnePieceError | None = None
        self.missing_bucket: str | None = None

    def ask(self) -> None:
        """Ask once (both of s5cmd's output readers may get here)."""
        with self._lock:
            if self._asked:
                return
            self._asked = True
            try:
                self.missing_bucket = self._check()
            except OnePieceError as exc:
                self.fatal = exc

    @property
    def stopped(self) -> bool:
        return self.fatal is not None or self.missing_bucket is not None

    def __call__(self, event: dict[str, Any]) -> bool:
        if self._summary.failed or self._summary.errors:
            self.ask()
        if self.stopped:
            return False
        if self._forward is not None:
            self._forward(event)
        return True


def run_sync(
    request: SyncRequest,
    settings: Settings,
    *,
    on_event: Callable[[dict[str, Any]], None] | None = None,
    binary: str | None = None,
) -> SyncSummary:
    """Run s5cmd sync; the summary says exactly what moved, was skipped or failed."""
    _validate(request)  # a bad name is the user's to fix, whatever is installed
    command = build_command(binary or s5cmd.find_s5cmd(), request, settings)
    if settings.storage.endpoint_url:
        s5cmd.check_endpoint(settings.storage.endpoint_url)
    profile = request.profile or settings.storage.aws_profile
    local = command[-2] if request.direction == "to" else command[-1]
    summary = SyncSummary(local_root=local)
    check = _AskOnFirstFailure(
        lambda: check_remote(bucket=request.bucket, profile=profile, settings=settings),
        summary,
        on_event,
    )
    # A dry run's plan is made without asking S3 for much, and s5cmd quietly
    # falls back to other credentials for a profile it cannot find: ask first.
    if request.dry_run or (profile and not profile_is_named(profile)):
        check.ask()
    returncode = 0
    if not check.stopped:
        env = s5cmd.sync_env(profile, settings.storage.region)
        returncode = s5cmd.run(command, env, summary, check)
        if returncode != 0 or not summary.ok:
            check.ask()
    if check.fatal is not None:
        raise check.fatal
    if check.missing_bucket is not None:
        return _missing_bucket(request, command, check.missing_bucket)
    reported = [*summary.errors, *(f["error"] for f in summary.failed)]
    if any(NO_CREDENTIALS in error for error in reported):
        raise credentials_error(profile)
    if returncode != 0 and summary.ok:
        summary.errors.append(f"s5cmd exited with status {returncode}")
    if request.direction == "from" and not request.dry_run:
        Path(command[-1]).mkdir(parents=True, exist_ok=True)  # even when nothing came
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
