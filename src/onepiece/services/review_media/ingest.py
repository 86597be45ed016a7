"""Review media for an ingest's Versions, from the delivery files just stored and verified.

Only Versions whose files are all stored and verified get review media:
those registered by this run, and those already registered whose record is
not in storage yet (a run stopped after registering them). The delivery is
only read. The frame rate is the manifest's ``fps`` column when given, else
the movie's own, else ``review_media`` defaults (24). A ``dcc publish`` makes
them from its preview movie, read from the package it built.
"""

from __future__ import annotations

from pathlib import Path

from onepiece.adapters.storage.base import Storage
from onepiece.adapters.trackers.base import Tracker
from onepiece.domain.ingest_plan import PlannedVersion, VersionStatus
from onepiece.domain.review_media import parse_fps, review_keys
from onepiece.errors import ObjectNotFound, StorageError
from onepiece.services.dcc.publish import PublishResult
from onepiece.services.ingest.service import IngestResult
from onepiece.services.review_media.movies import MOVIE_EXTENSIONS
from onepiece.services.review_media.options import ReviewOptions
from onepiece.services.review_media.stills import STILL_EXTENSIONS
from onepiece.services.review_media.worker import Progress, ReviewJob, ReviewOutcome, run_jobs


def job_for(
    version: PlannedVersion, folder: Path, project: str, bucket: str, options: ReviewOptions
) -> ReviewJob | None:
    """The job for one planned Version, or None when its media has no picture (caches...)."""
    ext = version.media.name.ext.lower()
    fps = parse_fps(version.metadata.get("fps"), options.default_fps)
    media = version.media
    path = folder / media.paths[0]
    if media.is_sequence and ext in STILL_EXTENSIONS:
        frames = {n: folder / p for n, p in zip(media.frames, media.paths, strict=True)}
        movie = None
    elif not media.is_sequence and ext in STILL_EXTENSIONS:
        frames, movie = {1: path}, None  # a single still: its thumbnail and a one-frame movie
    elif not media.is_sequence and ext in MOVIE_EXTENSIONS:
        frames, movie = {}, path
    else:
        return None
    return ReviewJob(project, version.code, bucket, version.path_key, movie, frames, fps)


def _already_made(storage: Storage, bucket: str, key: str) -> bool:
    try:
        storage.head(bucket, key)
    except ObjectNotFound:
        return False
    except StorageError:
        return False  # unsure: make them again (the keys are overwritten, never duplicated)
    return True


def jobs_for_ingest(
    result: IngestResult, storage: Storage, options: ReviewOptions
) -> list[ReviewJob]:
    run = result.options
    jobs: list[ReviewJob] = []
    for version in result.plan.versions:
        if version.status not in (VersionStatus.REGISTERED, VersionStatus.EXISTING):
            continue
        job = job_for(version, run.folder, run.project, run.bucket, options)
        if job is None:
            continue
        if version.status is VersionStatus.EXISTING:
            record = review_keys(job.version_key, job.code, options.thumbnail_format).record
            if _already_made(storage, run.bucket, record):
                continue
        jobs.append(job)
    return jobs


def review_ingest(
    result: IngestResult,
    storage: Storage,
    tracker: Tracker,
    options: ReviewOptions,
    progress: Progress | None = None,
) -> list[ReviewOutcome]:
    return run_jobs(jobs_for_ingest(result, storage, options), storage, tracker, options, progress)


def publish_job(result: PublishResult, options: ReviewOptions) -> ReviewJob | None:
    """The job for a ``dcc publish``: its preview movie, read from the built package."""
    preview = next((f for f in result.files if f.get("kind") == "preview"), None)
    if preview is None or not (result.project and result.bucket and result.key_prefix):
        return None
    path = result.package / preview["path"]
    key = f"{result.key_prefix}/{preview['path']}"
    ext = path.suffix.lower().lstrip(".")
    if ext in MOVIE_EXTENSIONS:
        return ReviewJob(result.project, result.version, result.bucket, key, path)
    if ext in STILL_EXTENSIONS:
        return ReviewJob(result.project, result.version, result.bucket, key, None, {1: path})
    return None
