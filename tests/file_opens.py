"""Observe which files the code under test opens, through Python's audit hooks.

Audit hooks cannot be removed, so one hook is installed for the session and
records only while a ``recording()`` block is active. Nothing is patched.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Iterator
from typing import Any

_active: list[list[str]] = []
_lock = threading.Lock()


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if event == "open" and _active and isinstance(args[0], str | bytes | os.PathLike):
        path = os.fsdecode(args[0])
        with _lock:
            for record in _active:
                record.append(path)


sys.addaudithook(_hook)


@contextlib.contextmanager
def recording() -> Iterator[list[str]]:
    """Yield a list that fills with the path of every file opened inside the block."""
    record: list[str] = []
    with _lock:
        _active.append(record)
    try:
        yield record
    finally:
        with _lock:
            _active.remove(record)
