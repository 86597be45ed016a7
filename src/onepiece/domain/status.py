"""Canonical status buckets.

Trackers spell statuses many ways (``apr``, ``Approved``, ``APR``, ``ip``,
``In Progress``). Everything that counts or filters by status (dashboards,
deliveries, episode breakdowns) goes through ``bucket_for`` so mixed case and
abbreviations collapse the same way everywhere. Studios override the mapping
with ``[status_map]`` in onepiece.toml (raw code -> bucket).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

BUCKETS = (
    "waiting",
    "ready",
    "in_progress",
    "review",
    "approved",
    "final",
    "on_hold",
    "omitted",
    "unknown",
)

DEFAULT_STATUS_MAP: dict[str, str] = {
    "wtg": "waiting",
    "waiting": "waiting",
    "waiting to start": "waiting",
    "na": "waiting",
    "new": "waiting",
    "rdy": "ready",
    "ready": "ready",
    "ready to start": "ready",
    "ip": "in_progress",
    "wip": "in_progress",
    "in progress": "in_progress",
    "in_progress": "in_progress",
    "rev": "review",
    "review": "review",
    "pending review": "review",
    "pndng": "review",
    "vwd": "review",
    "apr": "approved",
    "approved": "approved",
    "fin": "final",
    "final": "final",
    "cmpt": "final",
    "complete": "final",
    "delivered": "final",
    "hld": "on_hold",
    "hold": "on_hold",
    "on hold": "on_hold",
    "omt": "omitted",
    "omit": "omitted",
    "omitted": "omitted",
}


# What to say when a status maps to no bucket (show setup rows, set-status).
STATUS_CODES_HINT = "use a code such as wtg, rdy, ip, rev, apr, fin, hld, omt"


def _normalise(raw: str) -> str:
    return " ".join(raw.replace("-", " ").strip().lower().split())


def bucket_for(raw: str | None, overrides: Mapping[str, str] | None = None) -> str:
    """Canonical bucket for a raw tracker status; ``unknown`` when unmapped."""
    if raw is None or not raw.strip():
        return "unknown"
    key = _normalise(raw)
    if overrides:
        for code, bucket in overrides.items():
            if _normalise(code) == key:
                return bucket if bucket in BUCKETS else "unknown"
    if key in DEFAULT_STATUS_MAP:
        return DEFAULT_STATUS_MAP[key]
    underscored = key.replace(" ", "_")
    return underscored if underscored in BUCKETS else "unknown"


def bucket_totals(
    counts: Mapping[str | None, int] | Iterable[tuple[str | None, int]],
    overrides: Mapping[str, str] | None = None,
) -> dict[str, int]:
    """Collapse raw status counts into bucket counts (every bucket present)."""
    items = counts.items() if isinstance(counts, Mapping) else counts
    totals = dict.fromkeys(BUCKETS, 0)
    for raw, count in items:
        totals[bucket_for(raw, overrides)] += count
    return totals


def codes_for_bucket(bucket: str, overrides: Mapping[str, str] | None = None) -> set[str]:
    """Raw codes (lower case) that map to ``bucket``, for tracker-side filters."""
    merged = {**DEFAULT_STATUS_MAP, **{_normalise(k): v for k, v in (overrides or {}).items()}}
    return {code for code, b in merged.items() if b == bucket}


def matches_status_filter(
    raw: str | None, wanted: str, overrides: Mapping[str, str] | None = None
) -> bool:
    """Whether a raw tracker status passes a user's ``--status`` filter.

    The filter matches the raw code case-insensitively (``apr`` matches ``APR``)
    or, when it names a bucket, every code in that bucket (``approved`` matches
    ``apr`` and ``Approved``). Every tracker adapter filters this way.
    """
    key = _normalise(wanted)
    if raw is not None and _normalise(raw) == key:
        return True
    bucket = key.replace(" ", "_")
    return bucket in BUCKETS and bucket_for(raw, overrides) == bucket
