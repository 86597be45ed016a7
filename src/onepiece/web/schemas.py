"""Response and request models for the dashboard routes (the documented schema)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from onepiece.domain.dashboard import DashboardMetrics, IngestSummary
from onepiece.services.dashboard.cache import LIMITS


class Schema(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _json_integer(value: object) -> object:
    """JSON Schema's integer: 3 and 3.0, never ``true`` (request models are strict)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# For strict request models: an integer written as 3.0 is still an integer. Put
# range constraints before it inside Annotated so they reach the JSON schema.
INTEGRAL = BeforeValidator(_json_integer)
JsonInt = Annotated[int, INTEGRAL]


class StatusOut(Schema):
    projects: int
    shots: int
    versions: int
    errors: int = Field(description="Differences found by the last tracker/storage reconciliation.")


class IngestCountsOut(Schema):
    total: int
    successful: int
    failed: int
    running: int


class IngestOut(Schema):
    counts: IngestCountsOut
    last_success_at: datetime | None
    failure_streak: int

    @classmethod
    def of(cls, ingest: IngestSummary) -> IngestOut:
        return cls(
            counts=IngestCountsOut(
                total=ingest.total,
                successful=ingest.successful,
                failed=ingest.failed,
                running=ingest.running,
            ),
            last_success_at=ingest.last_success_at,
            failure_streak=ingest.failure_streak,
        )


class RenderOut(Schema):
    jobs: int
    by_status: dict[str, int]
    by_farm: dict[str, int]


class ReviewTotalsOut(Schema):
    projects: int
    playlists: int
    clips: int
    shots: int
    duration_seconds: float


class ReviewProjectOut(Schema):
    project: str
    playlists: int
    clips: int
    shots: int
    duration_seconds: float


class ReviewOut(Schema):
    totals: ReviewTotalsOut
    projects: list[ReviewProjectOut]

    @classmethod
    def of(cls, metrics: DashboardMetrics) -> ReviewOut:
        return cls(
            totals=ReviewTotalsOut(**asdict(metrics.review_totals)),
            projects=[ReviewProjectOut(**asdict(p)) for p in metrics.review_projects],
        )


class MetricsResponse(Schema):
    status: StatusOut
    ingest: IngestOut
    render: RenderOut
    review: ReviewOut
    message: str | None = Field(
        None, description="Present only when some figures are stale or unavailable, and why."
    )


class StatusTotalsOut(Schema):
    shots: dict[str, int]
    versions: dict[str, int]


class EpisodeOut(Schema):
    episode: str
    shots: int
    versions: int
    status: StatusTotalsOut


class PublishedOut(Schema):
    code: str
    shot: str | None
    episode: str | None
    status: str = Field(description="Canonical status bucket.")
    raw_status: str | None
    created_at: datetime | None
    user: str | None


class ProjectDashboardResponse(Schema):
    project: str
    name: str
    episodes: list[EpisodeOut]
    shots: int
    versions: int
    status: StatusTotalsOut
    latest_published: list[PublishedOut]
    fetched_at: datetime
    message: str | None = None


class ProjectEntryOut(Schema):
    code: str
    name: str
    configured: bool
    in_tracker: bool
    shots: int | None
    versions: int | None
    status: StatusTotalsOut | None


class ProjectsResponse(Schema):
    projects: list[ProjectEntryOut]
    status: StatusTotalsOut | None = Field(description="All projects together, by bucket.")
    synced_at: datetime | None = Field(description="Last successful sync with the tracker.")
    source: str = Field(description="Where the list came from: tracker, file or config.")
    message: str | None = None


class CacheBucketOut(Schema):
    entries: int
    records: int
    hits: int
    misses: int
    bypassed: int
    last_refresh: datetime | None


class CacheStatsResponse(Schema):
    ttl_seconds: float
    max_records: int
    max_projects: int
    projects: int
    hits: int
    misses: int
    buckets: dict[str, CacheBucketOut]


class CacheTuning(Schema):
    """Optional runtime limits for POST /admin/cache; omitted fields keep their value."""

    # Strict: ``false`` is not 0, ``"30"`` is not 30 (JSON numbers only).
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)

    ttl: float | None = Field(None, ge=LIMITS["ttl"][0], le=LIMITS["ttl"][1])
    max_records: (
        Annotated[int, Field(ge=LIMITS["max_records"][0], le=LIMITS["max_records"][1]), INTEGRAL]
        | None
    ) = None
    max_projects: (
        Annotated[int, Field(ge=LIMITS["max_projects"][0], le=LIMITS["max_projects"][1]), INTEGRAL]
        | None
    ) = None
