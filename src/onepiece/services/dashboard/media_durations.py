"""Clip durations for review figures: from the tracker, else probed once with PyAV.

A version's ``duration_seconds`` wins. Otherwise a local movie file is probed
with PyAV (FFmpeg) the first time it is seen and the answer is kept on disk
(``<data_dir>/cache/media-durations.json``), keyed by path, size and
modification time, so a changed file is probed again and an unchanged one
never is. Image sequences use their frame count and ``metadata["fps"]``.
Remote URIs (s3://...) are not downloaded: their duration stays unknown.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from onepiece.atomicio import write_json
from onepiece.domain.entities import Version
from onepiece.domain.sequences import is_file_pattern
from onepiece.state.db.ports import MediaFact, MediaFactsStore

log = logging.getLogger("onepiece.dashboard")

_RAW_PRINTF = re.compile(r"%0\d+d")


def local_media_path(uri: str | None) -> Path | None:
    """A local file path for a version's media, or None (remote, sequence, empty)."""
    if not uri:
        return None
    parsed = urlparse(uri)
    if parsed.scheme == "file":
        # file:// URIs are percent-encoded: decoded before the pattern check, "a%20dog.mov"
        # is one file. A raw "%04d" would decode to a control character: it is a
        # padding token written unencoded.
        if _RAW_PRINTF.search(parsed.path):
            return None
        path = unquote(parsed.path)
    elif parsed.scheme and len(parsed.scheme) > 1:  # s3://, https://; "C:" is a drive
        return None
    else:
        path = uri
    return None if is_file_pattern(path) else Path(path)


def frames_duration(version: Version) -> float | None:
    fps = version.metadata.get("fps")
    if version.frame_first is None or version.frame_last is None or not fps:
        return None
    try:
        return (version.frame_last - version.frame_first + 1) / float(fps)
    except (TypeError, ValueError, ZeroDivisionError):
        return None


def probe_duration(path: Path) -> float | None:
    """Seconds of media in a movie file according to FFmpeg, or None when it cannot tell."""
    import av  # noqa: TID251 - heavy, only when a clip lacks a tracker duration

    try:
        with av.open(str(path)) as container:
            if container.duration:
                return float(container.duration / av.time_base)
            for stream in container.streams.video:
                if stream.duration and stream.time_base:
                    return float(stream.duration * stream.time_base)
    except (av.FFmpegError, OSError, ValueError) as exc:
        log.warning("cannot probe %s: %s", path, exc)
    return None


class MediaDurations:
    """Durations per version code, probing each media file at most once."""

    def __init__(self, cache_path: Path, store: MediaFactsStore | None = None) -> None:
        # With a store (the state database) facts are read and kept there, per file.
        self._store = store
        self._path = cache_path
        self._lock = threading.Lock()
        self._entries: dict[str, dict[str, Any]] | None = None

    def durations(self, versions: Iterable[Version]) -> dict[str, float | None]:
        result: dict[str, float | None] = {}
        changed = False
        for version in versions:
            value, probed = self._duration(version)
            result[version.code] = value
            changed = changed or probed
        if changed:
            self._save()
        return result

    def _duration(self, version: Version) -> tuple[float | None, bool]:
        if version.duration_seconds is not None:
            return version.duration_seconds, False
        path = local_media_path(version.path)
        if path is None:
            return frames_duration(version), False
        try:
            stat = path.stat()
        except OSError:
            return None, False
        key = str(path)
        fingerprint = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
        if self._store is not None:
            return self._stored_duration(path, stat.st_size, stat.st_mtime_ns)
        with self._lock:
            entries = self._load()
            known = entries.get(key)
            if known is not None and all(known.get(k) == v for k, v in fingerprint.items()):
                return known.get("seconds"), False
        seconds = probe_duration(path)
        with self._lock:
            self._load()[key] = {**fingerprint, "seconds": seconds}
        return seconds, True

    def _stored_duration(self, path: Path, size: int, mtime_ns: int) -> tuple[float | None, bool]:
        assert self._store is not None
        known = self._store.get(str(path))
        if known is not None and (known.size, known.mtime_ns) == (size, mtime_ns):
            return known.seconds, False
        seconds = probe_duration(path)
        self._store.put(str(path), MediaFact(size, mtime_ns, seconds))
        return seconds, False  # already kept: nothing for _save to write

    def _load(self) -> dict[str, dict[str, Any]]:
        # Caller holds the lock.
        if self._entries is None:
            try:
                data = json.loads(self._path.read_text(encoding="utf-8"))
                self._entries = data if isinstance(data, dict) else {}
            except (OSError, ValueError):
                self._entries = {}
        return self._entries

    def _save(self) -> None:
        with self._lock:
            snapshot = dict(self._load())
        try:
            write_json(self._path, snapshot)
        except OSError as exc:
            log.warning("cannot write %s (%s); durations kept in memory", self._path, exc)
