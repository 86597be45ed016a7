"""Committing staged files in batches: a Version is registered only after its files are durable.

Workers stage files (``Storage.stage_file``: read once, hashed, verified);
the main thread collects them here and commits them together
(``Storage.commit``), which on local storage costs two filesystem flushes per
batch instead of three fsyncs per file. Files found already stored join the
batch too, so the commit also flushes what an interrupted run left before
this run acknowledges it. Only then are outcomes final and Versions
registered: a Version in the tracker always names durable objects.

A batch is due when it holds ``limit`` files (8 at first, doubling after each
commit up to ``MAX_FILES``: the first Versions show up at once, later batches
amortise the flushes), ``MAX_BYTES`` bytes, or has waited ``MAX_SECONDS``.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field, replace

from onepiece.adapters.storage.base import Storage
from onepiece.domain.ingest_plan import FileStatus, PlannedFile, PlannedVersion
from onepiece.errors import ObjectConflict, OnePieceError, StorageError, StorageUnavailable
from onepiece.services.ingest.transfer import FileJob, FileOutcome, confirm_stored

FIRST_FILES = 8
MAX_FILES = 1024
MAX_BYTES = 512 * 1024 * 1024  # bounds what a crash can leave behind as temp files
MAX_SECONDS = 2.0

Staged = tuple[PlannedVersion, PlannedFile, FileOutcome]


@dataclass
class CommitBatch:
    storage: Storage
    clock: Callable[[], float] = time.monotonic
    limit: int = FIRST_FILES
    items: list[Staged] = field(default_factory=list)
    size: int = 0
    started: float = 0.0

    def __len__(self) -> int:
        return len(self.items)

    def add(self, version: PlannedVersion, row: PlannedFile, outcome: FileOutcome) -> None:
        assert outcome.staged is not None
        if not self.items:
            self.started = self.clock()
        self.items.append((version, row, outcome))
        self.size += outcome.staged.info.size

    def due(self) -> bool:
        return bool(self.items) and (
            len(self.items) >= self.limit or self.size >= MAX_BYTES or self.wait_time() == 0.0
        )

    def wait_time(self) -> float | None:
        """Seconds until the batch is due by age; None when it is empty."""
        if not self.items:
            return None
        return max(0.0, self.started + MAX_SECONDS - self.clock())

    def commit(self) -> list[Staged]:
        """Commit every staged file; returns them with their final outcomes."""
        items = self.items
        staged = [outcome.staged for _, _, outcome in items if outcome.staged is not None]
        # Kept until the commit returns: a stop (Ctrl-C, SIGTERM) landing inside it
        # leaves them for discard(), which drops the temp files not yet published.
        results = self.storage.commit(staged)
        self.items, self.size = [], 0
        self.limit = min(MAX_FILES, self.limit * 2)
        settled = []
        for (version, row, outcome), result in zip(items, results, strict=True):
            if isinstance(result, ObjectConflict):  # never a silent overwrite
                outcome = FileOutcome(FileStatus.CONFLICT, reason=result.message)
            elif isinstance(result, StorageError):
                outcome = FileOutcome(FileStatus.FAILED, reason=f"not committed: {result.message}")
            settled.append((version, row, replace(outcome, staged=None)))
        return settled

    def discard(self) -> None:
        """Drop what is staged (the run stopped): nothing of it is acknowledged."""
        items, self.items, self.size = self.items, [], 0
        self.storage.discard([o.staged for _, _, o in items if o.staged is not None])


def next_finished(
    finished: queue.SimpleQueue[Future[FileOutcome]], timeout: float | None
) -> list[Future[FileOutcome]]:
    """Every future finished by now, waiting up to ``timeout`` for the first (None: no limit)."""
    try:
        ready = [finished.get(timeout=timeout)]
    except queue.Empty:
        return []
    while True:
        try:
            ready.append(finished.get_nowait())
        except queue.Empty:
            return ready


def discard_uncollected(
    storage: Storage,
    futures: dict[Future[FileOutcome], tuple[PlannedVersion, PlannedFile]],
    collected: set[Future[FileOutcome]],
) -> None:
    staged = []
    for future in futures:
        if future in collected or not future.done() or future.cancelled():
            continue
        if future.exception() is None and future.result().staged is not None:
            staged.append(future.result().staged)
    storage.discard([item for item in staged if item is not None])


def confirm_unanswered(
    storage: Storage, unconfirmed: list[tuple[PlannedVersion, PlannedFile, FileJob, FileOutcome]]
) -> list[tuple[PlannedVersion, PlannedFile, FileOutcome]]:
    """Ask again about the files whose put went unanswered: the report says what is stored."""
    settled = []
    reachable = True
    for version, row, job, outcome in unconfirmed:
        if reachable:
            try:
                outcome = confirm_stored(storage, job) or replace(outcome, unanswered=False)
            except StorageUnavailable:
                reachable = False  # still not answering: one wait, not one per file
            except OnePieceError:
                pass
        if outcome.unanswered:  # never checked: say so rather than claim it is absent
            reason = f"{outcome.reason}; the storage may hold it: run the ingest again to check"
            outcome = replace(outcome, reason=reason)
        settled.append((version, row, outcome))
    return settled
