"""One-pass transfer helpers shared by the storage adapters.

Data is hashed in the same pass that writes it (never a second read), into a
temporary file beside its destination that only replaces the destination once
it is complete, fsynced and verified.
"""

from __future__ import annotations

import contextlib
import io
import os
import random
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import TracebackType

from onepiece.adapters.storage.base import Progress
from onepiece.atomicio import fsync_dir
from onepiece.domain.bucket_names import RESERVED_MARKER
from onepiece.domain.checksums import Hasher, format_checksum, new_hasher, parse_checksum
from onepiece.errors import IntegrityError, StorageError

# Small enough that a chunk is still in the core's L2 cache when it is hashed
# and written after being read (8 MiB chunks cost 1.6x the CPU of 1 MiB ones
# on this machine: each byte came from RAM three times), large enough that the
# per-chunk Python overhead vanishes beside the copy (docs/benchmarks.md).
CHUNK_SIZE = 1024 * 1024
TEMP_PREFIX = f"{RESERVED_MARKER}tmp-"


class ChecksumTee:
    """Hashes data once for the recorded checksum and, when needed, for checks.

    ``expected`` may use another algorithm (a vendor's md5 while we record
    xxh3), or be several checksums (a manifest's and an MHL's): every digest
    comes from the same pass over the data, and each must hold.
    """

    def __init__(self, algorithm: str, expected: str | Sequence[str] | None = None) -> None:
        self.algorithm = algorithm
        self._primary: Hasher = new_hasher(algorithm)
        wanted = [expected] if isinstance(expected, str) else list(expected or ())
        self._checks: list[tuple[str, str, Hasher | None]] = []
        verifiers: dict[tuple[str, int], Hasher] = {}  # one hasher per algorithm and width
        for value in dict.fromkeys(wanted):
            algo, digest = parse_checksum(value)
            verifier = None
            if algo != algorithm or len(digest) != len(self._primary.hexdigest()):
                key = (algo, len(digest))
                if key not in verifiers:
                    verifiers[key] = new_hasher(algo, len(digest))
                verifier = verifiers[key]
            self._checks.append((algo, digest, verifier))
        self._verifiers = list(verifiers.values())

    @classmethod
    def for_recorded(cls, recorded: str | None) -> ChecksumTee | None:
        """A tee that verifies against a recorded checksum, or None if nothing is recorded."""
        if not recorded:
            return None
        algorithm, _ = parse_checksum(recorded)
        return cls(algorithm, recorded)

    def update(self, data: bytes | bytearray | memoryview) -> None:
        self._primary.update(data)  # type: ignore[arg-type]  # hashers take any buffer
        for verifier in self._verifiers:
            verifier.update(data)  # type: ignore[arg-type]

    def checksum(self) -> str:
        return format_checksum(self.algorithm, self._primary.hexdigest())

    def _failed(self) -> tuple[str, str] | None:
        for algo, digest, verifier in self._checks:
            actual = (verifier or self._primary).hexdigest()
            if actual != digest:
                return format_checksum(algo, digest), format_checksum(algo, actual)
        return None

    def mismatch(self) -> str | None:
        """The actual checksum (in the expected algorithm) when one differs, else None."""
        failed = self._failed()
        return failed[1] if failed else None

    def verify(self, what: str) -> None:
        failed = self._failed()
        if failed is not None:
            expected, actual = failed
            raise IntegrityError(
                f"checksum mismatch for {what}: expected {expected}, got {actual}",
                hint="the data changed or was corrupted in transit; nothing was written",
                context={"expected": expected, "actual": actual},
            )


class TempFile:
    """A temp file beside ``destination``; ``publish()`` renames it into place.

    Leaving the ``with`` block without publishing removes it, so a failed or
    interrupted transfer never leaves anything under the destination name.
    """

    def __init__(
        self,
        destination: Path,
        tag: str | None = None,
        *,
        before_mkdir: Callable[[], None] | None = None,
    ) -> None:
        """``before_mkdir`` runs when the destination's folder has to be made first."""
        self.destination = destination
        self._fd, self.path, self.made_folder = _mkstemp_beside(destination, tag, before_mkdir)
        self._published = False
        self._closed = False

    def __enter__(self) -> TempFile:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self._closed:
            os.close(self._fd)
            self._closed = True
        if not self._published:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path)

    def write(self, data: bytes | bytearray | memoryview) -> None:
        view = memoryview(data)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]

    def finish(
        self,
        *,
        sync: bool = True,
        label: Callable[[int, os.stat_result], bool] | None = None,
    ) -> os.stat_result:
        """Close, by default after flushing the data to disk; returns the final stat.

        ``sync=False`` is for callers that flush many files at once later
        (local storage's batched commit). Rename keeps the stat's identity.
        ``label(fd, stat)`` runs on the finished file before the flush, which
        makes what it set (an extended attribute) durable with the data; again
        if the flush moved the mtime (True: it set something to flush).
        """
        stat = os.fstat(self._fd)
        if label is not None:
            label(self._fd, stat)
        if sync:
            os.fsync(self._fd)
            after = os.fstat(self._fd)
            if after.st_mtime_ns != stat.st_mtime_ns:
                # A network filesystem set the mtime as it flushed: label what is there.
                stat = after
                if label is not None and label(self._fd, stat):
                    os.fsync(self._fd)
        os.close(self._fd)
        self._closed = True
        return stat

    def keep(self) -> Path:
        """Leave the (finished) temp file in place after the block, to be published later."""
        assert self._closed
        self._published = True
        return self.path

    def publish(self, *, sync_dir: bool = True) -> None:
        if not self._closed:
            self.finish()
        os.replace(self.path, self.destination)
        self._published = True
        if sync_dir:
            fsync_dir(self.destination.parent)


def _mkstemp_beside(
    destination: Path, tag: str | None = None, before_mkdir: Callable[[], None] | None = None
) -> tuple[int, Path, bool]:
    """Create a temp file next to ``destination`` with the usual umask-based mode.

    (``tempfile.mkstemp`` would make it 0600, and the rename would keep that.)
    ``tag`` names its owner (local_owner.py): ``.onepiece-tmp-<tag>-<random>``.
    Also says whether the folder had to be made (it then holds nothing else).
    """
    made_folder = False
    prefix = f"{TEMP_PREFIX}{tag}-" if tag else TEMP_PREFIX
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    for attempt in range(10):
        # Not secret, only unique (O_EXCL makes sure): no system call per file.
        path = destination.with_name(f"{prefix}{random.getrandbits(64):016x}")
        try:
            return os.open(path, flags, 0o666), path, made_folder
        except FileExistsError:
            if path.parent.is_dir():
                continue  # name taken: draw another
            raise _parent_is_a_file(destination) from None
        except FileNotFoundError:
            # Make the folder only when it is missing (most files of a delivery
            # share one), and again if a concurrent delete pruned it meanwhile.
            if attempt >= 3:
                raise
            if before_mkdir is not None:
                before_mkdir()
            try:  # os.makedirs: as Path.mkdir(parents=True) with no Path per level
                os.makedirs(os.path.dirname(path), exist_ok=True)
            except (FileExistsError, NotADirectoryError) as exc:
                raise _parent_is_a_file(destination) from exc
            made_folder = True
        except NotADirectoryError as exc:
            raise _parent_is_a_file(destination) from exc
    raise StorageError(f"cannot create a temporary file beside {destination}")


def _parent_is_a_file(destination: Path) -> StorageError:
    return StorageError(
        f"cannot create {destination}: a parent path is a file",
        hint="an object already exists where this key needs a folder",
    )


_buffers = threading.local()


def chunk_buffer(size: int = CHUNK_SIZE) -> bytearray:
    """A reusable per-thread buffer: allocating one per small file costs more than the copy."""
    buffer: bytearray | None = getattr(_buffers, "buffer", None)
    if buffer is None or len(buffer) != size:
        buffer = _buffers.buffer = bytearray(size)
    return buffer


def pump(
    source: io.FileIO,
    sink: TempFile,
    tee: ChecksumTee | None,
    progress: Progress | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> int:
    """Copy ``source`` into ``sink`` in one pass, hashing each chunk; returns bytes copied."""
    buffer = chunk_buffer(chunk_size)
    view = memoryview(buffer)
    total = 0
    while True:
        count = source.readinto(buffer)
        if not count:
            return total
        if total == 0 and count == len(buffer):
            advise_sequential(source)
        chunk = view[:count]
        if tee is not None:
            tee.update(chunk)
        sink.write(chunk)
        total += count
        if progress is not None:
            progress(count)


@contextlib.contextmanager
def os_errors(what: str | Callable[[], str]) -> Iterator[None]:
    """Disk full, I/O errors, permissions: a StorageError naming what failed.

    ``what`` may be a function, so a message is only built when it is needed.
    """
    try:
        yield
    except OSError as exc:
        message = what if isinstance(what, str) else what()
        raise StorageError(
            f"{message}: {exc.strerror or exc}", context={"errno": exc.errno}
        ) from exc


def open_source(path: str | os.PathLike[str]) -> io.FileIO:
    """Open a file to upload, read sequentially; bad paths are the caller's input error."""
    from onepiece.errors import ValidationError

    try:
        handle = open(path, "rb", buffering=0)  # noqa: SIM115 - returned to the caller
    except FileNotFoundError as exc:
        raise ValidationError(f"source file {path} does not exist") from exc
    except IsADirectoryError as exc:
        raise ValidationError(f"source {path} is a folder, not a file") from exc
    except PermissionError as exc:
        raise ValidationError(f"source file {path} is not readable (permission denied)") from exc
    return handle


def advise_sequential(handle: io.FileIO) -> None:
    """Ask for larger readahead; worth a system call only for files past one chunk."""
    if hasattr(os, "posix_fadvise"):
        with contextlib.suppress(OSError):
            os.posix_fadvise(handle.fileno(), 0, 0, os.POSIX_FADV_SEQUENTIAL)
