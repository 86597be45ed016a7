"""The cyclic garbage collector during an ingest: run less often, skip what lives long.

Planning and every file make many small objects, nearly all freed by
reference counting. At the default threshold (a collection of young objects
every 700 allocations) the collector ran some 350 times in a 2,000-file
ingest, and its full collections walked the whole plan again; perf put it
at about 5% of the CPU of a small-file ingest (docs/benchmarks.md). Only
how often it runs changes: reference counting frees as before, and the
collector's settings are restored when the last ingest in the process ends.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

# Allocations between collections of young objects. An ingest allocates some
# 650 objects per file and frees nearly all by reference counting: 200,000
# against 20,000 took 0.93x the wall time for 3,000 small files and 0.94x for
# a 5,000-frame sequence, peak memory unchanged (docs/benchmarks.md).
YOUNG_THRESHOLD = 200_000

_lock = threading.Lock()
_active = 0
_saved: tuple[int, ...] = ()


@contextlib.contextmanager
def fewer_collections() -> Iterator[None]:
    """Collect young objects every ``YOUNG_THRESHOLD`` allocations while inside.

    Re-entrant and thread-safe: the process's own threshold comes back when
    the last of several overlapping ingests leaves.
    """
    global _active, _saved
    with _lock:
        if _active == 0:
            _saved = gc.get_threshold()
            gc.set_threshold(max(_saved[0], YOUNG_THRESHOLD), *_saved[1:])
        _active += 1
    try:
        yield
    finally:
        with _lock:
            _active -= 1
            if _active == 0:
                gc.set_threshold(*_saved)


@contextlib.contextmanager
def long_lived_frozen() -> Iterator[None]:
    """Exempt everything alive now (the plan, loaded modules) from full collections.

    Frozen objects are still freed by reference counting; they are handed
    back to the collector on leaving. Overlapping ingests only lose the
    saving (an unfreeze covers everyone's), never correctness.
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
