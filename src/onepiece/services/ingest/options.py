"""What an ingest is asked to do, resolved from flags and settings (flags win)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from onepiece.config import Settings
from onepiece.config.model import IngestSettings
from onepiece.domain.safe_paths import check_name
from onepiece.errors import ValidationError
from onepiece.filesystems import all_local

Source = Literal["vendor", "client"]
ReportFormat = Literal["json", "csv"]
DEFAULT_LAYOUT: str = IngestSettings.model_fields["layout"].default


def default_workers(backend: str = "local", paths: Sequence[Path] = ()) -> int:
    """Parallel transfers: one per core between local disks, more where each waits on latency.

    Between local filesystems (``paths``: the delivery and the storage root) a
    transfer is CPU work, and threads beyond the cores only trade the GIL and
    contend for the folder in the kernel: a 3,000-file delivery took 0.90x the
    time with 2 workers instead of 8 on 2 cores (docs/benchmarks.md). Over a
    network filesystem, or where the mount table is unknown, a few per core;
    for S3, more.
    """
    cpus = os.cpu_count() or 2
    if backend == "s3":
        return max(8, min(32, cpus * 8))
    if paths and all_local(paths):
        return max(2, min(32, cpus))
    return max(4, min(32, cpus * 4))


@dataclass(frozen=True)
class IngestOptions:
    folder: Path
    project: str
    show: str
    source: Source = "vendor"
    bucket: str = "vendor-in"
    manifest: Path | None = None
    dry_run: bool = False
    workers: int = field(default_factory=default_workers)
    checksum: str = "xxh3"
    resume: bool = True
    follow_symlinks: bool = False
    name_pattern: str | None = None
    layout: str = DEFAULT_LAYOUT
    create_missing_hierarchy: bool = True
    initial_shot_status: str | None = None  # for shots ingest creates
    report_path: Path | None = None
    report_format: ReportFormat = "json"
    mhl: Path | None = None  # --mhl FILE; without it the folder's own history or v1 lists
    mhl_out: bool = False  # write a generation recording what was stored (docs/mhl.md)


def options_from_settings(
    settings: Settings,
    folder: Path,
    *,
    source: Source = "vendor",
    manifest: Path | None = None,
    dry_run: bool = False,
    resume: bool = True,
    follow_symlinks: bool = False,
    report_path: Path | None = None,
    report_format: ReportFormat | None = None,
    mhl: Path | None = None,
    mhl_out: bool = False,
) -> IngestOptions:
    """Project, show, buckets, workers and checksum come from settings (flags land there)."""
    if not settings.project:
        raise ValidationError(
            "no project given", hint="pass --project or set project in onepiece.toml"
        )
    if not settings.show_code:
        raise ValidationError(
            "no show code given", hint="pass --show-code or set show_code in onepiece.toml"
        )
    project = check_name(settings.project, "project")
    show = check_name(settings.show_code, "show code")
    # [shows.CODE] may be written in any case.
    per_show = next((s for code, s in settings.shows.items() if code.upper() == show.upper()), None)
    ingest = settings.ingest
    bucket = ingest.client_bucket if source == "client" else ingest.vendor_bucket
    local_paths = (folder, settings.storage_root) if settings.storage.backend == "local" else ()
    if report_format is None:
        suffix = report_path.suffix.lower() if report_path else ""
        report_format = "csv" if suffix == ".csv" else "json"
    return IngestOptions(
        folder=folder,
        project=project,
        show=show,
        source=source,
        bucket=bucket,
        manifest=manifest,
        dry_run=dry_run,
        workers=ingest.workers or default_workers(settings.storage.backend, local_paths),
        checksum=ingest.checksum,
        resume=resume,
        follow_symlinks=follow_symlinks,
        name_pattern=per_show.name_pattern if per_show else None,
        layout=(per_show.layout if per_show and per_show.layout else ingest.layout),
        create_missing_hierarchy=settings.tracker.create_missing_hierarchy,
        initial_shot_status=settings.tracker.initial_shot_status,
        report_path=report_path,
        report_format=report_format,
        mhl=mhl,
        mhl_out=mhl_out,
    )
