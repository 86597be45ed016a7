"""Deliver approved Versions: verify, package as a ZIP, upload, record.

One read pass over the media: each file is hashed while it is written into
the ZIP. A Version goes out whole or not at all (delivery_versions.py): one
with a file missing is skipped before any of its files is written, and a file
whose digest differs from its recorded checksum takes its Version's entries
back out of the archive; both are reported. The ZIP is written atomically, then
uploaded with its manifests to the context's bucket and recorded in the
delivery registry.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from onepiece.atomicio import atomic_writer, write_bytes
from onepiece.domain.checksums import parse_checksum
from onepiece.domain.delivery import (
    DeliveredFile,
    DeliveryPlan,
    PlannedFile,
    Problem,
    check_context,
    manifest_csv,
    manifest_document,
    manifest_json,
    plan_delivery,
)
from onepiece.domain.safe_paths import check_name, slug
from onepiece.errors import IntegrityError, NothingToDo, ObjectNotFound
from onepiece.services.delivery.media_source import MediaSource
from onepiece.services.delivery.mhl import history_files, vendor_histories
from onepiece.services.delivery.paths import check_episodes, check_output, manifest_paths
from onepiece.services.delivery.upload import check_bucket, upload_delivery
from onepiece.services.delivery.upstream import frame_checksums, load_upstream
from onepiece.services.delivery.versions import by_version, left_out, missing_media
from onepiece.services.delivery.zip_package import ZipPackage
from onepiece.services.mhl import custody
from onepiece.services.mhl.custody import KeptHistory
from onepiece.services.ports import Backends, DeliveryBackends
from onepiece.state.deliveries import DeliveryRecord, new_delivery_id

APPROVED = "approved"


@dataclass(frozen=True)
class DeliveryRequest:
    project: str
    context: str
    output: Path
    episodes: Sequence[str] = ()
    manifest_prefix: Path | None = None
    upstream_manifest: Path | None = None
    overwrite: bool = False
    dry_run: bool = False
    upload: bool = True

    def __post_init__(self) -> None:
        # The project names the bucket prefix the delivery is uploaded under.
        check_name(self.project, "project")
        for episode in self.episodes:
            check_name(episode, "episode")


@dataclass
class DeliveryResult:
    record: DeliveryRecord
    entries: list[DeliveredFile] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    planned: list[PlannedFile] = field(default_factory=list)
    dry_run: bool = False

    def to_dict(self) -> dict[str, Any]:
        document = manifest_document(self.record.to_dict(), self.entries, self.problems)
        document["dry_run"] = self.dry_run
        if self.dry_run:
            document["planned"] = [
                {"name": p.name, "version": p.version, "source": p.source} for p in self.planned
            ]
        return document


class _NothingWritten(Exception):
    """Every entry failed: abandon the atomic write so no empty ZIP appears."""


def _media(services: Backends) -> MediaSource:
    settings = services.settings
    root = settings.storage_root if settings.storage.backend == "local" else None
    return MediaSource(services.storage, root=root)


def _source_roots(services: Backends, plan: DeliveryPlan, media: MediaSource) -> list[Path]:
    roots: set[Path] = set()
    if services.settings.storage.backend == "local":
        roots.add(services.settings.storage_root)
    for planned in plan.files:
        location = media.native(planned.source)
        if location.path is not None:
            # The version's folder, not the whole bucket: that is the source tree it came from.
            roots.add(Path(location.path).parent)
    return sorted(roots)


def plan(services: Backends, request: DeliveryRequest) -> tuple[DeliveryPlan, str]:
    check_context(request.context)
    if request.episodes:  # a typo is named, not reported as "nothing to deliver"
        check_episodes(services.tracker, request.project, request.episodes)
    versions = services.tracker.list_versions(
        request.project, status=APPROVED, episodes=list(request.episodes) or None
    )
    if not versions:
        scope = f" in episodes {', '.join(request.episodes)}" if request.episodes else ""
        raise NothingToDo(
            f"nothing to deliver: no approved versions in {request.project}{scope}",
            hint="approve versions with `onepiece shotgrid versions set-status ... --status apr`",
        )
    package = slug(request.output.name.removesuffix(".zip"))
    upstream = load_upstream(request.upstream_manifest)
    checksums = frame_checksums(services.tracker, request.project)
    return plan_delivery(versions, package, upstream, checksums), package


def deliver(
    services: DeliveryBackends,
    request: DeliveryRequest,
    *,
    progress: Callable[[int], None] | None = None,
    on_file: Callable[[str], None] | None = None,
) -> DeliveryResult:
    """Run a delivery. Raises NothingToDo when no entry can be delivered."""
    delivery_plan, package = plan(services, request)
    media = _media(services)
    try:
        json_path, csv_path = (
            manifest_paths(request.manifest_prefix) if request.manifest_prefix else (None, None)
        )
        output = check_output(
            request.output,
            source_roots=_source_roots(services, delivery_plan, media),
            overwrite=request.overwrite,
            extra_outputs=[p for p in (json_path, csv_path) if p is not None],
        )
        record = DeliveryRecord(
            id=new_delivery_id(),
            project=request.project,
            context=request.context,
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
            entry_count=0,
            total_bytes=0,
            package=package,
            upstream_manifest=str(request.upstream_manifest) if request.upstream_manifest else None,
        )
        if request.upload:
            check_bucket(services, request.context, dry_run=request.dry_run)
        # The vendors' histories, chains checked before any media is read.
        kept = custody.load_all(media.storage, vendor_histories(delivery_plan.files))
        if request.dry_run:
            return _dry_run(record, delivery_plan, media)
        if not delivery_plan.files:
            raise _nothing(delivery_plan.problems)
        result = _write_zip(
            services, record, delivery_plan, (media, kept), output, progress, on_file
        )
    finally:
        media.close()
    doc = manifest_json(_document(result))
    table = manifest_csv(result.entries)
    if json_path is not None and csv_path is not None:
        write_bytes(json_path, doc)
        write_bytes(csv_path, table)
        result.record = _replace(result.record, manifest_paths=[str(json_path), str(csv_path)])
    if request.upload:
        result.record = upload_delivery(services, result.record, output, doc, table)
    services.deliveries.add(result.record)
    return result


def _document(result: DeliveryResult) -> dict[str, Any]:
    return manifest_document(result.record.to_dict(), result.entries, result.problems)


def _replace(record: DeliveryRecord, **changes: Any) -> DeliveryRecord:
    return DeliveryRecord.from_dict({**record.to_dict(), **changes})


def _nothing(problems: list[Problem]) -> NothingToDo:
    reasons = "; ".join(f"{p.version}: {p.reason}" for p in problems[:5])
    more = f" (+{len(problems) - 5} more)" if len(problems) > 5 else ""
    return NothingToDo(
        "nothing to deliver: no entry passed verification",
        hint=(reasons + more) or None,
        context={"problems": [p.__dict__ for p in problems]},
    )


def _dry_run(record: DeliveryRecord, plan_: DeliveryPlan, media: MediaSource) -> DeliveryResult:
    ready: list[PlannedFile] = []
    problems = list(plan_.problems)
    for _version, files in by_version(plan_.files):
        missing = missing_media(files, media)
        problems.extend(missing)
        if not missing:
            ready.extend(files)
    if not ready:
        raise _nothing(problems)
    size = sum(p.expected_size or 0 for p in ready)
    record = _replace(record, entry_count=len(ready), total_bytes=size, problem_count=len(problems))
    return DeliveryResult(record, problems=problems, planned=ready, dry_run=True)


def _expected(planned: PlannedFile, media: MediaSource) -> str | None:
    if planned.expected_checksum:
        return planned.expected_checksum
    with contextlib.suppress(ObjectNotFound):
        return media.recorded_checksum(planned.source)
    return None


def _write_zip(
    services: Backends,
    record: DeliveryRecord,
    plan_: DeliveryPlan,
    sources: tuple[MediaSource, dict[str, KeptHistory]],
    output: Path,
    progress: Callable[[int], None] | None,
    on_file: Callable[[str], None] | None,
) -> DeliveryResult:
    media, kept = sources
    result = DeliveryResult(record, problems=list(plan_.problems))
    default_algorithm = services.settings.ingest.checksum
    try:
        with atomic_writer(output, "wb") as handle:
            package = ZipPackage(handle)
            try:
                for _version, files in by_version(plan_.files):
                    missing = missing_media(files, media)
                    if missing:
                        result.problems.extend(missing)
                        continue
                    mark = package.mark()
                    entries: list[DeliveredFile] = []
                    for planned in files:
                        if on_file is not None:
                            on_file(planned.name)
                        entry = _add(package, planned, files, media, default_algorithm, progress)
                        if isinstance(entry, Problem):
                            result.problems.append(entry)
                            package.rollback_to(mark)
                            break
                        entries.append(entry)
                    else:
                        result.entries.extend(entries)
                if not result.entries:
                    raise _NothingWritten
                result.record = _replace(
                    record,
                    entry_count=len(result.entries),
                    total_bytes=sum(e.size for e in result.entries),
                    zip_path=str(output),
                    versions=sorted({e.version for e in result.entries}),
                    problem_count=len(result.problems),
                )
                doc = manifest_json(_document(result))
                manifests = {"manifest.json": doc, "manifest.csv": manifest_csv(result.entries)}
                for member, data in manifests.items():
                    package.add_bytes(f"{record.package}/{member}", data)
                # An ASC MHL history beside the manifests, continuing the vendor's (docs/mhl.md).
                history, _ = history_files(record.package, result.entries, manifests, kept)
                for member, data in history.items():
                    package.add_bytes(f"{record.package}/{member}", data)
            finally:
                # Closed before the temp file is (on failure the temp file is discarded).
                package.close()
    except _NothingWritten:
        raise _nothing(result.problems) from None
    return result


def _add(
    package: ZipPackage,
    planned: PlannedFile,
    version_files: list[PlannedFile],
    media: MediaSource,
    default_algorithm: str,
    progress: Callable[[int], None] | None,
) -> DeliveredFile | Problem:
    """Write one file into the ZIP; a Problem when it is missing or does not verify.

    On a Problem the caller rolls the whole Version back out of the archive.
    """

    def problem(kind: Any, reason: str) -> Problem:
        return Problem(planned.version, kind, left_out(reason, version_files), planned.source)

    try:
        expected = _expected(planned, media)
        algorithm, digest = parse_checksum(expected) if expected else (default_algorithm, "")
        with media.open_local(planned.source) as path:
            written = package.add_file(
                planned.name,
                path,
                algorithm=algorithm,
                digest_length=len(digest) or None,
                progress=progress,
            )
    except ObjectNotFound:
        return problem("missing_media", "media not found")
    except IntegrityError as exc:
        return problem("checksum_mismatch", exc.message)
    except OSError as exc:
        return problem("missing_media", f"cannot read media: {exc.strerror or exc}")
    if expected and written.checksum != f"{algorithm}:{digest}":
        return problem(
            "checksum_mismatch", f"checksum {written.checksum} does not match recorded {expected}"
        )
    if planned.expected_size is not None and written.size != planned.expected_size:
        return problem(
            "checksum_mismatch",
            f"size {written.size} does not match recorded {planned.expected_size}",
        )
    return DeliveredFile(
        name=planned.name,
        version=planned.version,
        size=written.size,
        checksum=written.checksum,
        source=planned.source,
        episode=planned.episode,
        sequence=planned.sequence,
        shot=planned.shot,
        frame=planned.frame,
        custody=planned.custody,
    )
