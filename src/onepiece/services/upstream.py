"""Inputs a delivery reads besides the Versions: upstream manifests, frame checksums."""

from __future__ import annotations

from pathlib import Path

from onepiece.adapters.trackers.base import Tracker
from onepiece.domain.delivery import UpstreamEntry
from onepiece.domain.upstream_manifest import parse_upstream_manifest
from onepiece.errors import ValidationError


def load_upstream(path: Path | None) -> dict[str, UpstreamEntry]:
    """Upstream manifest rows by file name; {} when no manifest is given."""
    if path is None:
        return {}
    fmt = path.suffix.lower().lstrip(".")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ValidationError(f"upstream manifest {path} does not exist") from exc
    except OSError as exc:
        raise ValidationError(f"cannot read upstream manifest {path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise ValidationError(
            f"upstream manifest {path} is not UTF-8 text", hint="save it as UTF-8"
        ) from exc
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
