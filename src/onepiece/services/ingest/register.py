"""The tracker side of an ingest: hierarchy, existing Versions, idempotent registration.

Hierarchy codes stay unique within a project whatever the naming: the episode
is ``ep010``, the sequence ``ep010_sc02`` and the shot ``ep010_sc02_0010``
(scene and shot numbers repeat across episodes). Versions are created in
batches (one request per batch on remote trackers); a batch that clashes with
a Version created meanwhile is retried one by one, and each clash is settled
by checksum: the same data is ``existing``, different data a ``conflict``.
Nothing registered is ever overwritten.
"""

from __future__ import annotations

import getpass
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from onepiece.adapters.trackers.base import Tracker
from onepiece.domain.entities import ShotSpec, Version
from onepiece.domain.ingest_plan import FileStatus, PlannedVersion, VersionStatus, version_checksum
from onepiece.domain.naming import ParsedName
from onepiece.errors import EntityNotFound, TrackerError, VersionConflict

REVIEW_STATUS = "rev"  # new deliveries wait for review
BATCH_SIZE = 50  # Versions per create request to a remote tracker
# The local tracker commits each batch as one SQLite transaction, one WAL
# fsync: batches of 50 made that fsync a tenth of a small-file ingest.
# FLUSH_SECONDS still registers what is ready at least twice a second.
LOCAL_BATCH_SIZE = 1000
FLUSH_SECONDS = 0.5


def hierarchy_codes(name: ParsedName) -> tuple[str, str, str]:
    episode = name.episode
    sequence = f"{episode}_{name.scene}"
    return episode, sequence, f"{sequence}_{name.shot}"


def prepare_hierarchy(
    tracker: Tracker,
    project: str,
    versions: Sequence[PlannedVersion],
    create_missing: bool,
    *,
    initial_status: str | None = None,
) -> None:
    """Create (or, when not allowed, check) the project, episodes, sequences and shots.

    New shots get ``initial_status`` (tracker.initial_shot_status); existing
    ones keep theirs. Versions whose shot is missing and may not be created are
    marked invalid.
    """
    if create_missing:
        tracker.ensure_project(project)
        specs = []
        for version in versions:
            episode, sequence, shot = hierarchy_codes(version.media.name)
            specs.append(
                ShotSpec(episode=episode, sequence=sequence, shot=shot, status=initial_status)
            )
        if specs:
            tracker.ensure_hierarchy(project, specs)
        return
    try:
        tracker.get_project(project)
    except EntityNotFound as exc:
        raise EntityNotFound(
            f"project {project} does not exist in the tracker",
            hint="create it first, or set tracker.create_missing_hierarchy = true",
        ) from exc
    known = {
        "episode": {e.code for e in tracker.list_episodes(project)},
        "sequence": {s.code for s in tracker.list_sequences(project)},
        "shot": {s.code for s in tracker.list_shots(project)},
    }
    for version in versions:
        codes = dict(
            zip(("episode", "sequence", "shot"), hierarchy_codes(version.media.name), strict=True)
        )
        missing = [f"{kind} {code}" for kind, code in codes.items() if code not in known[kind]]
        if missing:
            reason = (
                f"{', '.join(missing)} not in project {project} "
                "(tracker.create_missing_hierarchy is off)"
            )
            version.status, version.reason = VersionStatus.INVALID, reason
            for row in version.files:
                row.status, row.reason = FileStatus.INVALID, reason


@dataclass
class Registrar:
    """Turns finished PlannedVersions into tracker Versions, batching the creates."""

    tracker: Tracker
    project: str
    algorithm: str
    uri: Callable[[str], str]  # destination key -> storage URI
    metadata: dict[str, str]
    existing: dict[str, Version | None] = field(default_factory=dict)
    clock: Callable[[], float] = time.monotonic
    pending: list[PlannedVersion] = field(default_factory=list)
    _last_flush: float = 0.0
    user: str | None = field(default_factory=lambda: _user())
    batch_size: int = 0  # 0: by tracker (LOCAL_BATCH_SIZE for the local one, else BATCH_SIZE)

    def __post_init__(self) -> None:
        if self.batch_size <= 0:
            local = getattr(self.tracker, "name", None) == "local"
            self.batch_size = LOCAL_BATCH_SIZE if local else BATCH_SIZE

    def lookup(self, versions: Sequence[PlannedVersion]) -> None:
        for version in versions:
            self.existing[version.code] = self.tracker.find_version(self.project, version.code)

    def finished(self, version: PlannedVersion) -> None:
        """All files of ``version`` are done: settle it or queue its creation."""
        done = (FileStatus.UPLOADED, FileStatus.SKIPPED)
        bad = [row for row in version.files if row.status not in done]
        if bad:
            statuses = {row.status for row in bad}
            if FileStatus.CONFLICT in statuses:
                version.status = VersionStatus.CONFLICT
            elif statuses == {FileStatus.CANCELLED}:
                version.status = VersionStatus.CANCELLED
            else:
                version.status = VersionStatus.INCOMPLETE
            version.reason = f"not registered: {bad[0].path} is {bad[0].status.value}"
            if bad[0].reason:
                version.reason += f" ({bad[0].reason})"
            return
        algorithm = self.algorithm
        registered = self.existing.get(version.code)
        if registered is not None and registered.checksum:
            algorithm = registered.checksum.partition(":")[0]
        version.checksum = version_checksum(algorithm, version.files)
        if registered is not None:
            self._settle(version, registered)
            return
        self.pending.append(version)
        if len(self.pending) >= self.batch_size or self.clock() - self._last_flush >= FLUSH_SECONDS:
            self.flush()

    def flush(self) -> None:
        self._last_flush = self.clock()
        batch, self.pending = self.pending, []
        if not batch:
            return
        try:
            self.tracker.create_versions([self._entity(v) for v in batch])
        except VersionConflict:
            for version in batch:  # someone registered some of them meanwhile
                self._create_one(version)
            return
        except TrackerError as exc:
            for version in batch:
                version.status, version.reason = VersionStatus.FAILED, exc.message
            return
        for version in batch:
            version.status = VersionStatus.REGISTERED

    def _create_one(self, version: PlannedVersion) -> None:
        try:
            self.tracker.create_versions([self._entity(version)])
            version.status = VersionStatus.REGISTERED
        except VersionConflict:
            registered = self.tracker.find_version(self.project, version.code)
            if registered is None:
                version.status, version.reason = VersionStatus.FAILED, "tracker refused it"
            else:
                self._settle(version, registered)
        except TrackerError as exc:
            version.status, version.reason = VersionStatus.FAILED, exc.message

    def _settle(self, version: PlannedVersion, registered: Version) -> None:
        if registered.checksum == version.checksum:
            version.status = VersionStatus.EXISTING
            version.reason = "already registered with the same checksum"
            return
        version.status = VersionStatus.CONFLICT
        version.reason = (
            f"a different file is already registered as {version.code} "
            f"({registered.checksum} there, {version.checksum} delivered); not overwritten"
        )

    def _entity(self, version: PlannedVersion) -> Version:
        name = version.media.name
        episode, sequence, shot = hierarchy_codes(name)
        media = version.media
        return Version(
            project=self.project,
            code=version.code,
            shot=shot,
            sequence=sequence,
            episode=episode,
            asset=name.asset,
            status=REVIEW_STATUS,
            path=self.uri(version.path_key),
            frame_first=media.frame_first,
            frame_last=media.frame_last,
            frame_range=media.frame_range,
            checksum=version.checksum,
            size=version.size,
            user=self.user,
            metadata={**self.metadata, **version.metadata},
        )


def _user() -> str | None:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry, no USER variable
        return None
