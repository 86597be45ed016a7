"""Counts, summary and the per-file report of an ingest (dry or real).

The report has one row per file (and per manifest entry that matched no file)
with the parsed name fields, status, checksum, destination and reason. It is
written atomically as JSON (``{"summary": {...}, "files": [...]}``) or CSV.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from pathlib import Path
from typing import Any, Literal

from onepiece.atomicio import write_json, write_text
from onepiece.domain.ingest_plan import FileStatus, IngestPlan, PlannedFile, VersionStatus

ReportFormat = Literal["json", "csv"]
REPORT_COLUMNS = (
    "path",
    "status",
    "reason",
    "version_code",
    "show",
    "episode",
    "scene",
    "shot",
    "asset",
    "version",
    "frame",
    "size",
    "checksum",
    "expected_checksum",
    "bucket",
    "key",
)
PROBLEM_STATUSES = (
    FileStatus.INVALID,
    FileStatus.MISMATCH,
    FileStatus.CONFLICT,
    FileStatus.FAILED,
    FileStatus.CANCELLED,
)
SUMMARY_LIMIT = 50  # problems listed in the run registry; the report has them all


def counts(plan: IngestPlan) -> dict[str, int]:
    files = Counter(row.status for row in plan.files)
    versions = Counter(version.status for version in plan.versions)
    planned = [row for version in plan.versions for row in version.files]
    done = {FileStatus.UPLOADED, FileStatus.SKIPPED, *PROBLEM_STATUSES} - {FileStatus.INVALID}
    return {
        "files": sum(n for status, n in files.items() if status is not FileStatus.IGNORED),
        "files_planned": len(planned),
        "files_done": sum(1 for row in planned if row.status in done),
        "bytes_planned": sum(row.size for row in planned),
        "uploaded": files[FileStatus.UPLOADED],
        "skipped": files[FileStatus.SKIPPED],
        "invalid": files[FileStatus.INVALID],
        "ignored": files[FileStatus.IGNORED],
        "mismatched": files[FileStatus.MISMATCH],
        "failed": files[FileStatus.FAILED],
        "cancelled": files[FileStatus.CANCELLED],
        "versions_planned": len(plan.versions),
        "registered": versions[VersionStatus.REGISTERED],
        "existing": versions[VersionStatus.EXISTING],
        "conflicts": versions[VersionStatus.CONFLICT],
        "versions_failed": versions[VersionStatus.FAILED],
        "warnings": len(plan.warnings),
    }


def problems(plan: IngestPlan, limit: int | None = None) -> list[dict[str, str]]:
    """Every file or Version that did not make it, with why."""
    found = [
        {"path": row.path, "status": row.status.value, "reason": row.reason or ""}
        for row in plan.files
        if row.status in PROBLEM_STATUSES
    ]
    for version in plan.versions:
        listed = any(row.status in PROBLEM_STATUSES for row in version.files)
        if version.status in (VersionStatus.CONFLICT, VersionStatus.FAILED) and not listed:
            found.append(
                {
                    "path": version.metadata.get("delivery_path", version.code),
                    "status": version.status.value,
                    "reason": version.reason or "",
                }
            )
    return found[:limit] if limit is not None else found


def summary(plan: IngestPlan, *, limit: int | None = None) -> dict[str, Any]:
    listed = problems(plan, limit)
    return {
        "counts": counts(plan),
        "problems": listed,
        "warnings": plan.warnings[:limit] if limit is not None else plan.warnings,
        "versions": [
            {"code": v.code, "status": v.status.value, "checksum": v.checksum}
            for v in plan.versions
        ][:limit],
    }


def row_dict(plan: IngestPlan, row: PlannedFile) -> dict[str, Any]:
    name = row.name
    return {
        "path": row.path,
        "status": row.status.value,
        "reason": row.reason,
        "version_code": row.version_code,
        "show": name.show if name else None,
        "episode": name.episode if name else None,
        "scene": name.scene if name else None,
        "shot": name.shot if name else None,
        "asset": name.asset if name else None,
        "version": name.version if name else None,
        "frame": name.frame if name else None,
        "size": row.size,
        "checksum": row.checksum,
        "expected_checksum": row.expected_checksum,
        "bucket": plan.bucket if row.key else None,
        "key": row.key,
    }


def write_report(path: Path, fmt: ReportFormat, plan: IngestPlan, header: dict[str, Any]) -> None:
    rows = [row_dict(plan, row) for row in plan.files]
    if fmt == "json":
        write_json(path, {"summary": {**header, **summary(plan)}, "files": rows})
        return
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=REPORT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    write_text(path, buffer.getvalue())
