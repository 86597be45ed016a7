"""``onepiece review rebuild``: make a registered Version's review media again.

The Version's media is read back from storage (its ``bucket`` metadata and
its path), into a temporary folder, checksum-verified by the storage on the
way; a frame sequence is found by listing the folder of its pattern
(``..._v004.%04d.exr``: any frame number, so ``.999`` and ``.1000`` both
belong).
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from urllib.parse import unquote

from onepiece.adapters.storage.base import Storage
from onepiece.adapters.trackers.base import Tracker
from onepiece.domain.entities import Version
from onepiece.domain.review_media import parse_fps
from onepiece.errors import EntityNotFound, OnePieceError, ValidationError
from onepiece.services.review_media.movies import MOVIE_EXTENSIONS
from onepiece.services.review_media.options import ReviewOptions
from onepiece.services.review_media.stills import STILL_EXTENSIONS
from onepiece.services.review_media.worker import Progress, ReviewJob, ReviewOutcome, run_jobs

_PRINTF = re.compile(r"%0?(\d*)d")


@dataclass(frozen=True)
class RebuildTarget:
    version: Version
    bucket: str
    key: str  # the media key (a %0Nd pattern for a sequence)
    kind: str  # "movie", "sequence", "still"


def locate(version: Version, storage: Storage) -> RebuildTarget:
    """Where a Version's media is stored; ValidationError when it cannot be told."""
    bucket = str(version.metadata.get("bucket") or "")
    if not bucket or not version.path:
        raise ValidationError(f"version {version.code} has no stored media to rebuild from")
    probe = "onepiece-key"  # uri() refuses an empty key: cut a known one off instead
    prefix = storage.uri(bucket, probe)[: -len(probe)]
    if not version.path.startswith(prefix):
        raise ValidationError(
            f"version {version.code}: {version.path} is not in bucket {bucket} of this storage"
        )
    key = version.path[len(prefix) :]
    if storage.uri(bucket, "a%b") != f"{prefix}a%b":  # this storage's URIs are %-encoded
        key = unquote(key)
    ext = key.rpartition(".")[2].lower()
    if _PRINTF.search(key.rpartition("/")[2]) and ext in STILL_EXTENSIONS:
        kind = "sequence"
    elif ext in MOVIE_EXTENSIONS:
        kind = "movie"
    elif ext in STILL_EXTENSIONS:
        kind = "still"
    else:
        raise ValidationError(f"version {version.code}: no review media for .{ext} files")
    return RebuildTarget(version, bucket, key, kind)


def plan_rebuild(
    project: str, codes: Sequence[str], tracker: Tracker, storage: Storage
) -> list[RebuildTarget]:
    targets = []
    for code in codes:
        version = tracker.find_version(project, code)
        if version is None:
            raise EntityNotFound(f"version {code} not found in project {project}")
        targets.append(locate(version, storage))
    return targets


def _sequence_keys(storage: Storage, bucket: str, pattern: str) -> dict[int, str]:
    folder, _, name = pattern.rpartition("/")
    match = _PRINTF.search(name)
    assert match is not None
    head, tail = re.escape(name[: match.start()]), re.escape(name[match.end() :])
    frame_name = re.compile(f"^{head}(-?\\d+){tail}$")
    frames: dict[int, str] = {}
    for info in storage.list(bucket, f"{folder}/" if folder else ""):
        found = frame_name.match(info.key.rpartition("/")[2])
        if found and info.key.rpartition("/")[0] == folder:
            frames[int(found.group(1))] = info.key
    return frames


def _fetch(target: RebuildTarget, storage: Storage, workdir: Path, fps: Fraction) -> ReviewJob:
    version = target.version
    fps = parse_fps(version.metadata.get("fps"), fps)
    local = workdir / "media"
    local.mkdir()
    frames: dict[int, Path] = {}
    movie: Path | None = None
    if target.kind == "sequence":
        for number, key in sorted(_sequence_keys(storage, target.bucket, target.key).items()):
            path = local / key.rpartition("/")[2]
            storage.get_file(target.bucket, key, path)
            frames[number] = path
        if not frames:
            raise ValidationError(f"version {version.code}: no frame of {target.key} in storage")
    else:
        path = local / target.key.rpartition("/")[2]
        storage.get_file(target.bucket, target.key, path)
        if target.kind == "movie":
            movie = path
        else:
            frames = {1: path}
    return ReviewJob(version.project, version.code, target.bucket, target.key, movie, frames, fps)


def rebuild(
    targets: Sequence[RebuildTarget],
    storage: Storage,
    tracker: Tracker,
    options: ReviewOptions,
    progress: Progress | None = None,
) -> list[ReviewOutcome]:
    """One outcome per target; a Version whose media cannot be fetched is a failed outcome."""
    outcomes: list[ReviewOutcome] = []
    for target in targets:  # one at a time: each holds a full copy of its media on disk
        workdir = Path(tempfile.mkdtemp(prefix="onepiece-rebuild-"))
        try:
            job = _fetch(target, storage, workdir, options.default_fps)
            outcomes.extend(run_jobs([job], storage, tracker, options, progress))
        except OnePieceError as exc:
            outcome = ReviewOutcome(target.version.code, problems=[exc.message])
            if progress is not None:
                progress(outcome)
            outcomes.append(outcome)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    return outcomes
