"""One ingest at a time per delivery: a second run of the same files waits for the first.

Two ingests of the same delivery started together would both find nothing
stored and both send every file. So a run holds an exclusive ``flock`` on
``<data>/ingest-locks/<digest>.lock`` while it sends, where the digest names
the storage, the bucket and the set of destination keys. A second run of the
same files waits for it (saying so on stderr), then finds them stored and
verified: it skips them. Runs of other deliveries never wait. The kernel
drops the lock when its process dies, so a killed run never blocks the next.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

log = logging.getLogger(__name__)


def delivery_digest(storage: str, bucket: str, keys: Iterable[str]) -> str:
    digest = hashlib.sha256(f"{storage}\0{bucket}\0".encode())
    for key in sorted(keys):
        digest.update(key.encode("utf-8", "surrogateescape") + b"\0")
    return digest.hexdigest()[:32]


@contextlib.contextmanager
def delivery_lock(folder: Path, digest: str) -> Iterator[None]:
    """Hold the lock for ``digest`` under ``folder``, waiting for another holder first."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(folder / f"{digest}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:  # cannot coordinate (read-only data folder): resume still verifies
        log.warning("cannot take the delivery lock in %s: %s", folder, exc.strerror)
        yield
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.warning("another ingest of the same files is running: waiting for it to finish")
            fcntl.flock(fd, fcntl.LOCK_EX)  # Ctrl-C still interrupts the wait
        yield
    finally:
        os.close(fd)  # releases the lock
