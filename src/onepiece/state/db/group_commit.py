"""Group commit: the hot writes of one process share transactions.

A submit writes twice (its ``Idempotency-Key`` claimed, then the job recorded).
Run in the request threads, every write was its own transaction, and sixteen
threads trading the GIL around each SQLite call cost more than the writes
themselves (bench/serve_submits.py, docs/benchmarks.md). Here the writes of
one engine take turns: one caller at a time leads. The leader takes every
write waiting, its own first among them, runs them in arrival order in one
transaction, commits once, and only then answers each caller, so a write is
acknowledged exactly when it is committed, as before. Once its own write is
answered it hands the lead to the next caller waiting, if any. A caller
alone leads at once, in its own thread: nothing is handed to another thread
and no thread is kept (the design of LevelDB's and RocksDB's write queues).

A write is a function of the open connection. If one of a group fails, the
group is rolled back and each of its writes runs again alone, in its own
transaction: one caller's error never fails or half-applies another's. So a
write may run twice and must only touch the database (and keep no state
between runs). A write that wants to refuse without failing the group returns
its refusal instead of raising it.

Writes of one kind may also be batched (``run_batched``): the group hands all
its items of that kind to one call, which sends them as one statement each
(``executemany``), not one round of statements per item. On PostgreSQL every
statement is a round trip, and on both backends each costs Python time while
the GIL is held. Inside a group, the kinds run in the order their first write
arrived: the writes of one group were all waiting at once, unanswered, so any
order among them is one their callers could have seen.
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
Item = TypeVar("Item")
Batch = Callable[["Connection", list[Any]], list[Any]]  # items in, one result per item out
MAX_GROUP = 256  # writes per transaction: bounds how long one commit holds the lock


class _Pending(Generic[T]):
    __slots__ = ("write", "batch", "item", "signal", "answered", "leads", "_value", "_error")

    def __init__(
        self,
        write: Callable[[Connection], T] | None,
        batch: Batch | None = None,
        item: Any = None,
    ) -> None:
        self.write = write
        self.batch, self.item = batch, item
        self.signal = threading.Event()  # answered, or handed the lead
        self.answered = False
        self.leads = False
        self._value: Any = None
        self._error: BaseException | None = None

    def answer(self, value: Any = None, error: BaseException | None = None) -> None:
        self._value, self._error = value, error
        self.answered = True
        self.signal.set()

    def hand_lead(self) -> None:
        self.leads = True
        self.signal.set()

    def result(self) -> T:
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[no-any-return]


class GroupWriter:
    """Runs writes for one engine in grouped transactions (see the module doc)."""

    def __init__(self, engine: Engine, *, max_group: int = MAX_GROUP) -> None:
        self._engine = engine
        self._max_group = max_group
        self._lock = threading.Lock()
        self._queue: deque[_Pending[Any]] = deque()  # writes not taken into a group yet
        self._led = False  # a caller leads (or has just been handed the lead)
        self._leading = threading.local()

    def run(self, write: Callable[[Connection], T]) -> T:
        """``write(connection)`` committed (with others waiting then); its result."""
        return self._run(_Pending(write))

    def run_batched(self, batch: Callable[[Connection, list[Item]], list[T]], item: Item) -> T:
        """``item`` written by ``batch(connection, items)`` with every other item of
        the same ``batch`` in its group, committed; this item's result.

        Calls with equal ``batch`` callables (the same function, or one bound
        method of one object) share a call; it returns one result per item, in
        order.
        """
        return self._run(_Pending(None, batch, item))

    def _run(self, pending: _Pending[T]) -> T:
        if getattr(self._leading, "active", False):
            raise RuntimeError("a grouped write cannot wait for another grouped write")
        with self._lock:
            self._queue.append(pending)
            leads = not self._led
            self._led = True
        if not leads:
            try:
                pending.signal.wait()
            except BaseException:  # cleanup only (Ctrl-C while waiting): re-raised
                self._abandon(pending)
                raise
            if pending.answered:
                return pending.result()
        self._lead(pending)
        return pending.result()

    def _lead(self, own: _Pending[Any]) -> None:
        # Only the leader takes writes from the queue, and its own is there until
        # it does: the loop ends once the group holding it is committed.
        self._leading.active = True
        try:
            while not own.answered:
                with self._lock:
                    count = min(len(self._queue), self._max_group)
                    group = [self._queue.popleft() for _ in range(count)]
                self._commit(group)
        finally:
            self._leading.active = False
            self._pass_lead()

    def _pass_lead(self) -> None:
        with self._lock:
            if self._queue:
                self._queue[0].hand_lead()  # still queued: it takes itself in
            else:
                self._led = False

    def _abandon(self, pending: _Pending[Any]) -> None:
        """The caller stopped waiting: its write never runs; a lead it was handed passes on."""
        with self._lock:
            if pending in self._queue:
                self._queue.remove(pending)
        if pending.leads:
            self._pass_lead()

    def _commit(self, group: list[_Pending[Any]]) -> None:
        try:
            with self._engine.begin() as connection:
                values = _written(connection, group)
        except BaseException as error:  # noqa: BLE001 (raised in its caller, or each write retried alone)
            if len(group) == 1:
                group[0].answer(error=error)
            else:
                for pending in group:
                    self._commit([pending])
            return
        for pending, value in zip(group, values, strict=True):
            pending.answer(value)


def _written(connection: Connection, group: list[_Pending[Any]]) -> list[Any]:
    """Each write's result, in the group's order; batched kinds in one call each."""
    runs: dict[object, list[int]] = {}  # a batch kind, or a plain write's own pending
    for index, pending in enumerate(group):
        runs.setdefault(pending.batch or pending, []).append(index)
    values: list[Any] = [None] * len(group)
    for kind, indexes in runs.items():
        first = group[indexes[0]]
        if first.batch is None:
            assert first.write is not None
            values[indexes[0]] = first.write(connection)
            continue
        results = first.batch(connection, [group[index].item for index in indexes])
        if len(results) != len(indexes):
            raise RuntimeError(f"{kind!r} gave {len(results)} results for {len(indexes)} items")
        for index, result in zip(indexes, results, strict=True):
            values[index] = result
    return values


_writers: weakref.WeakKeyDictionary[Engine, GroupWriter] = weakref.WeakKeyDictionary()
_writers_lock = threading.Lock()


def _forget_writers() -> None:
    # A forked child starts with its own (a lock held at the fork stays held in it).
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
            writer = _writers[engine] = GroupWriter(engine)
        return writer
