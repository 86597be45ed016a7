"""Make, store and attach review media for many Versions in a bounded pool.

Each job runs alone: its derivatives are made in a private temporary folder,
stored beside the Version (``review_keys``) with their checksums, described
by a JSON record stored last (so a record always names complete files), then
attached in the tracker when it can hold them. Whatever goes wrong in a job
(unreadable media, a storage or tracker error, a bug) is that job's outcome:
the others go on, and the ingest or publish that asked is never failed.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

from onepiece.adapters.storage.base import ObjectInfo, Storage
from onepiece.adapters.trackers.base import Tracker
from onepiece.adapters.trackers.review_media import ReviewMediaTracker
from onepiece.domain.review_media import ReviewAttachment, review_keys
from onepiece.errors import OnePieceError
from onepiece.services.review_media.derivatives import Derivatives
from onepiece.services.review_media.movies import make_movie
from onepiece.services.review_media.options import ReviewOptions
from onepiece.services.review_media.sequences import make_sequence

log = logging.getLogger("onepiece.review_media")


@dataclass(frozen=True)
class ReviewJob:
    project: str
    code: str
    bucket: str
    version_key: str  # the Version's media key (a file, or a %0Nd pattern)
    movie: Path | None = None  # a local copy of a movie Version...
    frames: Mapping[int, Path] = field(default_factory=dict)  # ...or of its frames
    fps: Fraction = Fraction(24)


@dataclass
class ReviewOutcome:
    code: str
    status: str = "failed"  # made, partial (one of the two), failed
    problems: list[str] = field(default_factory=list)
    thumbnail: str | None = None  # storage URIs
    proxy: str | None = None
    record: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.code,
            "status": self.status,
            "thumbnail": self.thumbnail,
            "proxy": self.proxy,
            "record": self.record,
            "problems": self.problems,
            "details": self.details,
        }


Progress = Callable[[ReviewOutcome], None]


def run_jobs(
    jobs: Sequence[ReviewJob],
    storage: Storage,
    tracker: Tracker,
    options: ReviewOptions,
    progress: Progress | None = None,
) -> list[ReviewOutcome]:
    """Outcomes in the order of ``jobs``; ``progress`` hears each as it ends."""
    if not jobs:
        return []

    def one(job: ReviewJob) -> ReviewOutcome:
        outcome = run_job(job, storage, tracker, options)
        if progress is not None:
            progress(outcome)
        return outcome

    with ThreadPoolExecutor(
        max_workers=min(options.workers, len(jobs)), thread_name_prefix="review-media"
    ) as pool:
        return list(pool.map(one, jobs))


def run_job(
    job: ReviewJob, storage: Storage, tracker: Tracker, options: ReviewOptions
) -> ReviewOutcome:
    outcome = ReviewOutcome(job.code)
    workdir = Path(tempfile.mkdtemp(prefix="onepiece-review-"))
    try:
        made = _make(job, workdir, options)
        outcome.problems.extend(made.problems)
        outcome.details.update(made.details)
        if made.thumbnail is None and made.proxy is None:
            return outcome
        attachment = _store(job, made, storage, options, outcome)
        outcome.status = "made" if made.thumbnail and made.proxy else "partial"
        if isinstance(tracker, ReviewMediaTracker):
            try:
                tracker.attach_review_media(job.project, job.code, attachment)
            except OnePieceError as exc:
                outcome.problems.append(f"tracker: {exc.message}")
                outcome.status = "partial"
    except OnePieceError as exc:
        outcome.status = "failed"
        outcome.problems.append(exc.message)
    except Exception as exc:  # noqa: BLE001 - one Version's media never fails the run
        log.exception("review media of %s failed", job.code)
        outcome.status = "failed"
        outcome.problems.append(f"{type(exc).__name__}: {exc}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return outcome


def _make(job: ReviewJob, workdir: Path, options: ReviewOptions) -> Derivatives:
    if job.frames:
        return make_sequence(job.frames, workdir, job.code, job.fps, options)
    if job.movie is not None:
        return make_movie(job.movie, workdir, job.code, options)
    return Derivatives(problems=["no media to make review media from"])


def _entry(info: ObjectInfo, uri: str) -> dict[str, Any]:
    return {"key": info.key, "uri": uri, "checksum": info.checksum, "size": info.size}


def _store(
    job: ReviewJob,
    made: Derivatives,
    storage: Storage,
    options: ReviewOptions,
    outcome: ReviewOutcome,
) -> ReviewAttachment:
    keys = review_keys(job.version_key, job.code, options.thumbnail_format)
    record: dict[str, Any] = {
        "version": job.code,
        "project": job.project,
        "source": storage.uri(job.bucket, job.version_key),
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "thumbnail": None,
        "proxy": None,
        "problems": list(made.problems),
        **made.details,
    }
    metadata = {"version": job.code}
    for kind, path, key in (
        ("thumbnail", made.thumbnail, keys.thumbnail),
        ("proxy", made.proxy, keys.proxy),
    ):
        if path is None:
            continue
        info = storage.put_file(job.bucket, key, path, metadata=metadata)
        uri = storage.uri(job.bucket, key)
        record[kind] = _entry(info, uri)
        setattr(outcome, kind, uri)
    data = json.dumps(record, indent=2, sort_keys=True, default=str).encode()
    storage.put_bytes(job.bucket, keys.record, data, metadata=metadata)
    outcome.record = storage.uri(job.bucket, keys.record)
    return ReviewAttachment(
        thumbnail_file=str(made.thumbnail) if made.thumbnail else None,
        proxy_file=str(made.proxy) if made.proxy else None,
        thumbnail_uri=outcome.thumbnail,
        proxy_uri=outcome.proxy,
        record_uri=outcome.record,
        record=record,
    )
