"""Group commit: the hot writes of one process share transactions.

A submit writes twice (its ``Idempotency-Key`` claimed, then the job recorded).
Run in the request threads, every write was its own transaction, and sixteen
threads trading the GIL around each SQLite call cost more than the writes
themselves (bench/serve_submits.py, docs/benchmarks.md). Here one thread per
engine runs them: it takes every write waiting, runs them in arrival order in
one transaction, commits once, and only then answers each caller, so a write
is acknowledged exactly when it is committed, as before.

A write is a function of the open connection. If one of a group fails, the
group is rolled back and each of its writes runs again alone, in its own
transaction: one caller's error never fails or half-applies another's. So a
write may run twice and must only touch the database (and keep no state
between runs). A write that wants to refuse without failing the group returns
its refusal instead of raising it.

The thread stops after a second without writes and starts again with the next
one, so idle processes and short-lived engines (tests, the CLI) keep none.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

T = TypeVar("T")
MAX_GROUP = 256  # writes per transaction: bounds how long one commit holds the lock
IDLE_SECONDS = 1.0
POSTGRESQL_THREADS = 2  # groups in flight: see GroupWriter


class _Pending(Generic[T]):
    __slots__ = ("write", "_done", "_value", "_error")

    def __init__(self, write: Callable[[Connection], T]) -> None:
        self.write = write
        self._done = threading.Event()
        self._value: Any = None
        self._error: BaseException | None = None

    def answer(self, value: Any = None, error: BaseException | None = None) -> None:
        self._value, self._error = value, error
        self._done.set()

    def wait(self) -> T:
        self._done.wait()
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[no-any-return]


class GroupWriter:
    """Runs writes for one engine in grouped transactions (see the module doc).

    ``threads``: how many groups may be open at once. SQLite has one writer at
    a time, so one. On PostgreSQL each statement is a round trip, so a second
    group in flight keeps a server across the network busy while the first
    waits; more cost CPU for nothing on loopback (2 workers: 282 submits/s
    with one or two, 260 with four, 189 with eight)."""

    def __init__(
        self,
        engine: Engine,
        *,
        threads: int = 1,
        max_group: int = MAX_GROUP,
        idle_seconds: float = IDLE_SECONDS,
    ) -> None:
        self._engine = engine
        self._max_threads = threads
        self._max_group = max_group
        self._idle_seconds = idle_seconds
        self._queue: deque[_Pending[Any]] = deque()
        self._wake = threading.Condition(threading.Lock())
        self._threads: set[threading.Thread] = set()
        self._idle = 0  # threads waiting for a write

    def run(self, write: Callable[[Connection], T]) -> T:
        """``write(connection)`` committed (with others waiting then); its result."""
        if threading.current_thread() in self._threads:
            raise RuntimeError("a grouped write cannot wait for another grouped write")
        pending = _Pending(write)
        with self._wake:
            self._queue.append(pending)
            if self._idle:
                self._wake.notify()
            elif len(self._threads) < self._max_threads:
                thread = threading.Thread(
                    target=self._serve, name="onepiece-group-commit", daemon=True
                )
                self._threads.add(thread)
                try:
                    thread.start()
                except BaseException:  # cleanup only: re-raised, the write never runs
                    self._threads.discard(thread)
                    self._queue.remove(pending)
                    raise
        return pending.wait()

    def _serve(self) -> None:
        while True:
            with self._wake:
                if not self._queue:
                    self._idle += 1
                    self._wake.wait(self._idle_seconds)
                    self._idle -= 1
                if not self._queue:
                    # Under the lock: a write queued from now on starts a new thread.
                    self._threads.discard(threading.current_thread())
                    return
                count = min(len(self._queue), self._max_group)
                group = [self._queue.popleft() for _ in range(count)]
            self._commit(group)

    def _commit(self, group: list[_Pending[Any]]) -> None:
        try:
            with self._engine.begin() as connection:
                values = [pending.write(connection) for pending in group]
        except BaseException as error:  # noqa: BLE001 (raised in its caller, or each write retried alone)
            if len(group) == 1:
                group[0].answer(error=error)
            else:
                for pending in group:
                    self._commit([pending])
            return
        for pending, value in zip(group, values, strict=True):
            pending.answer(value)


_writers: weakref.WeakKeyDictionary[Engine, GroupWriter] = weakref.WeakKeyDictionary()
_writers_lock = threading.Lock()


def _forget_writers() -> None:
    # A forked child has none of its parent's threads: it starts its own.
    global _writers_lock
    _writers.clear()
    _writers_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_writers)


def group_writer(engine: Engine) -> GroupWriter:
    """The one group writer of ``engine`` in this process."""
    with _writers_lock:
        writer = _writers.get(engine)
        if writer is None:
            threads = 1 if engine.dialect.name == "sqlite" else POSTGRESQL_THREADS
            writer = _writers[engine] = GroupWriter(engine, threads=threads)
        return writer
