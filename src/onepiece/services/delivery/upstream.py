"""Inputs a delivery reads besides the Versions: upstream manifests, frame checksums."""

from __future__ import annotations

from pathlib import Path

from onepiece.adapters.trackers.base import Tracker
from onepiece.domain.delivery import UpstreamEntry
from onepiece.domain.upstream_manifest import parse_upstream_manifest
from onepiece.errors import ValidationError
from onepiece.services.input_files import read_text


def load_upstream(path: Path | None) -> dict[str, UpstreamEntry]:
    """Upstream manifest rows by file name; {} when no manifest is given."""
    if path is None:
        return {}
    fmt = path.suffix.lower().lstrip(".")
    text = read_text(path, "upstream manifest")
    try:
        return parse_upstream_manifest(text, fmt)
    except ValidationError as exc:  # name the file: several manifests may be given
        raise ValidationError(f"{path}: {exc.message}", hint=exc.hint, context=exc.context) from exc


def frame_checksums(tracker: Tracker, project: str) -> dict[str, str]:
    """Recorded checksums of individual files (published files), by storage URI."""
    return {
        published.path: published.checksum
        for published in tracker.list_published_files(project)
        if published.checksum
    }
