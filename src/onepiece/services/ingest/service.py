"""Ingest a delivery folder: validate, checksum, upload, register; resumable and reported.

``plan_ingest`` scans and plans (no writes: this is the whole of a dry run).
``run_ingest`` then prepares the tracker hierarchy, looks up existing
Versions, sends files in parallel (each read once, see ``ingest_transfer``),
commits them in batches and registers each Version as soon as its files are
committed (``ingest_commit``), and keeps the run registry current. The source
folder is only ever read.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from onepiece.adapters.storage.base import Storage
from onepiece.adapters.trackers.base import Tracker
from onepiece.atomicio import check_writable
from onepiece.domain.bucket_names import validate_bucket
from onepiece.domain.ingest_plan import (
    FileStatus,
    IngestPlan,
    PlannedFile,
    PlannedVersion,
    VersionStatus,
    build_plan,
)
from onepiece.domain.layout import compile_layout
from onepiece.domain.manifest import Manifest, detect_format, parse_manifest
from onepiece.domain.naming import compile_rules
from onepiece.errors import (
    IntegrityError,
    OnePieceError,
    StorageError,
    TrackerError,
    ValidationError,
    VersionConflict,
)
from onepiece.services.ingest import mhl as ingest_mhl
from onepiece.services.ingest import report as ingest_report
from onepiece.services.ingest.collector import fewer_collections, long_lived_frozen
from onepiece.services.ingest.commit import (
    CommitBatch,
    confirm_unanswered,
    discard_uncollected,
    next_finished,
)
from onepiece.services.ingest.jobs import build_jobs
from onepiece.services.ingest.options import IngestOptions
from onepiece.services.ingest.register import Registrar, prepare_hierarchy
from onepiece.services.ingest.scan import ScanResult, check_folder, scan_folder
from onepiece.services.ingest.transfer import FileJob, FileOutcome, transfer
from onepiece.services.input_files import read_text
from onepiece.state.ingest_locks import delivery_digest, delivery_lock
from onepiece.state.ingest_runs import RunRecorder, RunRegistry


class Services(Protocol):
    @property
    def tracker(self) -> Tracker: ...
    @property
    def storage(self) -> Storage: ...


class IngestEvents(Protocol):
    """What a progress display hears; called from worker threads too."""

    def planned(self, files: int, size: int) -> None: ...
    def file_started(self, path: str, size: int) -> None: ...
    def advance(self, path: str, count: int) -> None: ...
    def file_finished(self, row: PlannedFile) -> None: ...


class NoEvents:
    def planned(self, files: int, size: int) -> None: ...
    def file_started(self, path: str, size: int) -> None: ...
    def advance(self, path: str, count: int) -> None: ...
    def file_finished(self, row: PlannedFile) -> None: ...


@dataclass
class IngestResult:
    options: IngestOptions
    plan: IngestPlan
    run_id: str | None = None
    status: str = "completed"
    error: OnePieceError | None = None  # the most serious problem: it picks the exit code
    interrupted: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def summary(self, limit: int | None = None) -> dict[str, Any]:
        options = self.options
        return {
            "run_id": self.run_id,
            "status": self.status,
            "dry_run": options.dry_run,
            "project": options.project,
            "show": options.show,
            "source": options.source,
            "folder": str(options.folder),
            "bucket": options.bucket,
            "report_path": str(options.report_path) if options.report_path else None,
            "error": self.error.message if self.error else None,
            **ingest_report.summary(self.plan, limit=limit),
            **({"mhl": self.extra["mhl"]} if "mhl" in self.extra else {}),
        }


def load_manifest(path: Path, show: str) -> Manifest:
    text = read_text(path, "manifest", encoding="utf-8-sig")
    fmt = detect_format(path.name, text)
    return parse_manifest(text, fmt, name=path.name, show_code=show, path=str(path))


def plan_ingest(
    options: IngestOptions, check_bucket: Callable[[str], str] = validate_bucket
) -> tuple[IngestPlan, ScanResult]:
    """Scan and plan; reads the folder's names and the manifest, writes nothing.

    ``check_bucket`` is the storage's own rule (a local folder takes ``vendor_in``).
    """
    check_bucket(options.bucket)  # a typo fails before anything is scanned or recorded
    rules = compile_rules(options.name_pattern, options.show)
    layout = compile_layout(options.layout)
    root = check_folder(options.folder)
    if options.report_path and options.report_path.resolve().is_relative_to(root):
        raise ValidationError(
            f"the report {options.report_path} would be written inside the delivery folder",
            hint="the delivery is never modified: write the report elsewhere",
        )
    if options.report_path:  # before any upload, not after everything is registered
        check_writable(options.report_path)
    manifest = load_manifest(options.manifest, options.show) if options.manifest else None
    exclude = frozenset({options.manifest}) if options.manifest else frozenset()
    mhl = ingest_mhl.load(root, options.mhl)  # a broken chain stops here (IntegrityError)
    scan = scan_folder(options.folder, follow_symlinks=options.follow_symlinks, exclude=exclude)
    scan = ingest_mhl.drop_history_files(scan, root, mhl)
    if mhl is not None:
        scan = ingest_mhl.mark_unlisted(scan, mhl)
    if not scan.files:
        raise ValidationError(
            f"delivery folder {options.folder} has no files", hint="is this the right folder?"
        )
    plan = build_plan(
        scan.files,
        project=options.project,
        show=options.show,
        bucket=options.bucket,
        rules=rules,
        layout=layout,
        manifest=manifest,
    )
    if mhl is not None:
        ingest_mhl.apply(plan, mhl, root, exclude)
        ingest_mhl.record_custody(plan, mhl)
        scan.mhl = mhl
    return plan, scan


def verdict(plan: IngestPlan) -> OnePieceError | None:
    """The error that best describes what went wrong (it decides the exit code)."""
    c = ingest_report.counts(plan)
    if c["mismatched"]:
        return IntegrityError(f"{c['mismatched']} file(s) did not match their checksum")
    if c["failed"] or c["cancelled"]:
        message = f"{c['failed'] + c['cancelled']} file(s) were not transferred"
        # Name where it went wrong (a full disk, a refused bucket...), not just how often.
        first = next((r for r in plan.files if r.status is FileStatus.FAILED and r.reason), None)
        if first is not None:
            message += f" (first: {first.path}: {first.reason})"
        return StorageError(message)
    if c["conflicts"]:
        return VersionConflict(f"{c['conflicts']} version(s) conflict with registered ones")
    if c["versions_failed"]:
        return TrackerError(f"{c['versions_failed']} version(s) could not be registered")
    if c["invalid"]:
        return ValidationError(f"{c['invalid']} file(s) are invalid")
    return None


def run_ingest(
    options: IngestOptions,
    services: Services,
    registry: RunRegistry | None = None,
    events: IngestEvents | None = None,
) -> IngestResult:
    with fewer_collections():
        return _run_ingest(options, services, registry, events or NoEvents())


def _run_ingest(
    options: IngestOptions,
    services: Services,
    registry: RunRegistry | None,
    events: IngestEvents,
) -> IngestResult:
    plan, scan = plan_ingest(options, services.storage.check_bucket)
    result = IngestResult(options, plan)
    if options.dry_run:
        result.error = verdict(plan)
        _report(result)
        return result
    recorder = None
    if registry is not None:
        recorder = RunRecorder.start(
            registry,
            project=options.project,
            show=options.show,
            source=options.source,
            folder=str(options.folder),
            bucket=options.bucket,
            report_path=str(options.report_path) if options.report_path else None,
        )
        result.run_id = recorder.run_id
    try:
        with _one_run_per_delivery(plan, services.storage, registry), long_lived_frozen():
            _execute(result, scan, services, events, recorder)
    except KeyboardInterrupt:
        # Ctrl-C (or SIGTERM, which the CLI turns into one): record, report, return.
        result.status, result.interrupted = "cancelled", True
        _finish(result, recorder, "interrupted")
        return result
    except BaseException as exc:  # recorded, then re-raised
        # Record the failure (tracker gone, a bug...) before the error reaches the user.
        result.status = "failed"
        result.error = exc if isinstance(exc, OnePieceError) else None
        _finish(result, recorder, str(exc) or type(exc).__name__)
        raise
    result.error = verdict(plan)
    if options.mhl_out:
        _write_mhl(result, services.storage)
    result.status = "completed" if result.error is None else "failed"
    _finish(result, recorder, result.error.message if result.error else None)
    return result


def _write_mhl(result: IngestResult, storage: Storage) -> None:
    try:
        key = ingest_mhl.write_stored_generation(storage, result.options.bucket, result.plan)
    except OnePieceError as exc:
        result.error = result.error or exc
        return
    if key is not None:
        result.extra["mhl"] = storage.uri(result.options.bucket, key)


def _one_run_per_delivery(
    plan: IngestPlan, storage: Storage, registry: RunRegistry | None
) -> contextlib.AbstractContextManager[None]:
    """A second run of the same files waits for the first, then skips what it stored."""
    if registry is None:
        return contextlib.nullcontext()
    keys = (row.key for row in plan.files if row.key is not None)
    digest = delivery_digest(storage.describe(), plan.bucket, keys)
    return delivery_lock(registry.path.parent / "ingest-locks", digest)


def _finish(result: IngestResult, recorder: RunRecorder | None, error: str | None) -> None:
    for row in result.plan.files:
        if row.status is FileStatus.READY:
            row.status, row.reason = FileStatus.CANCELLED, "not sent: the run stopped"
    for version in result.plan.versions:
        if version.status is VersionStatus.READY:
            version.status, version.reason = VersionStatus.CANCELLED, "the run stopped first"
    if recorder is not None:
        # The run record already holds project, show, counts...: keep its summary lean.
        full = result.summary(limit=ingest_report.SUMMARY_LIMIT)
        summary = {k: full[k] for k in ("problems", "warnings", "versions", "report_path")}
        recorder.finish(result.status, ingest_report.counts(result.plan), summary, error)
    _report(result)


def _report(result: IngestResult) -> None:
    options = result.options
    if options.report_path is not None:
        header = {k: v for k, v in result.summary().items() if k not in ("problems", "counts")}
        ingest_report.write_report(options.report_path, options.report_format, result.plan, header)


def _execute(
    result: IngestResult,
    scan: ScanResult,
    services: Services,
    events: IngestEvents,
    recorder: RunRecorder | None,
) -> None:
    options, plan = result.options, result.plan
    ready = [v for v in plan.versions if v.status is VersionStatus.READY]
    if not ready:
        return
    tracker, storage = services.tracker, services.storage
    storage.ensure_bucket(options.bucket)
    # Before any Version names it: the vendor's history, kept for the chain of custody.
    ingest_mhl.keep_histories(storage, options.bucket, scan.mhl, ready)
    prepare_hierarchy(
        tracker,
        options.project,
        ready,
        options.create_missing_hierarchy,
        initial_status=options.initial_shot_status,
    )
    ready = [v for v in ready if v.status is VersionStatus.READY]
    registrar = Registrar(
        tracker,
        options.project,
        options.checksum,
        lambda key: storage.uri(options.bucket, key),
        {"source": options.source, "bucket": options.bucket, "ingest_run": result.run_id or ""},
    )
    registrar.lookup(ready)
    jobs = build_jobs(options, scan, storage, registrar.existing, ready)
    events.planned(len(jobs), sum(row.size for _, row, _ in jobs))
    remaining = {v.code: len(v.files) for v in ready}
    cancel = threading.Event()
    # Once the storage stops answering (each call bounded by its timeouts and
    # retries), no further file is started: the run ends within one call's
    # budget instead of one per file.
    unanswered: list[str] = []

    def run(job: FileJob) -> FileOutcome:
        events.file_started(job.path, job.size)
        seen = 0

        def tick(count: int) -> None:
            nonlocal seen
            seen += count
            events.advance(job.path, count)

        if unanswered:
            outcome = FileOutcome(FileStatus.FAILED, reason=f"not sent: {unanswered[0]}")
        else:
            outcome = transfer(storage, job, tick, cancel)
            if outcome.unanswered:
                unanswered.append(outcome.reason or "the storage stopped answering")
        if job.size > seen:  # skipped without reading, or stopped early: the bar still ends
            events.advance(job.path, job.size - seen)
        return outcome

    batch = CommitBatch(storage)

    def settle(version: PlannedVersion, row: PlannedFile, outcome: FileOutcome) -> None:
        row.status, row.checksum, row.reason = outcome.status, outcome.checksum, outcome.reason
        events.file_finished(row)
        remaining[version.code] -= 1
        if remaining[version.code] == 0:
            registrar.finished(version)

    pool = ThreadPoolExecutor(max_workers=options.workers, thread_name_prefix="ingest")
    futures: dict[Future[FileOutcome], tuple[PlannedVersion, PlannedFile]] = {}
    job_of: dict[Future[FileOutcome], FileJob] = {}
    unconfirmed: list[tuple[PlannedVersion, PlannedFile, FileJob, FileOutcome]] = []
    collected: set[Future[FileOutcome]] = set()
    # Finished futures arrive on a queue: waiting on the set of pending ones
    # (futures.wait) costs O(pending) per call, O(files^2) per run.
    finished: queue.SimpleQueue[Future[FileOutcome]] = queue.SimpleQueue()
    try:
        for version, row, job in jobs:
            future = pool.submit(run, job)
            futures[future] = (version, row)
            job_of[future] = job
            future.add_done_callback(finished.put)
        while len(collected) < len(futures):
            for future in next_finished(finished, batch.wait_time()):
                version, row = futures[future]
                outcome = future.result()
                collected.add(future)
                if outcome.unanswered:  # settled once the storage is asked again, below
                    unconfirmed.append((version, row, job_of[future], outcome))
                elif outcome.staged is not None:
                    batch.add(version, row, outcome)  # final once committed
                else:
                    settle(version, row, outcome)
            if batch.due() or (batch and len(collected) == len(futures)):
                for version, row, outcome in batch.commit():
                    settle(version, row, outcome)
            if recorder is not None and recorder.due():  # counting is O(files): throttle
                recorder.progress(ingest_report.counts(plan))
        for version, row, outcome in confirm_unanswered(storage, unconfirmed):
            if outcome.staged is not None:
                batch.add(version, row, outcome)
            else:
                settle(version, row, outcome)
        for version, row, outcome in batch.commit() if batch else []:
            settle(version, row, outcome)
        registrar.flush()
    except BaseException:  # cleanup only: re-raised
        cancel.set()
        pool.shutdown(wait=True, cancel_futures=True)
        # Nothing staged and not yet committed is acknowledged: drop it all.
        batch.discard()
        discard_uncollected(storage, futures, collected)
        raise
    pool.shutdown(wait=True)
