"""``GET /admin/cache`` and ``POST /admin/cache``: inspect, flush and tune the dashboard cache.

Admin token. POST flushes every bucket; an optional JSON body sets new limits
(validated: out-of-range values answer 422 ``request.invalid``).
"""

from __future__ import annotations

import logging
from dataclasses import replace

from fastapi import APIRouter, Body

from onepiece.web.deps import AdminAuth, DashboardDep
from onepiece.web.schemas import CacheStatsResponse, CacheTuning

log = logging.getLogger("onepiece.web")

router = APIRouter(prefix="/admin", tags=["admin"])


@router.get("/cache", response_model=CacheStatsResponse)
async def cache_stats(dashboard: DashboardDep, _auth: AdminAuth) -> CacheStatsResponse:
    """Entries and records per bucket, TTL and limits, last refresh, hits and misses."""
    return CacheStatsResponse.model_validate(dashboard.cache.stats())


@router.post("/cache", response_model=CacheStatsResponse)
async def flush_cache(
    dashboard: DashboardDep,
    _auth: AdminAuth,
    tuning: CacheTuning | None = Body(None),
) -> CacheStatsResponse:
    """Flush every cache; optionally set ttl, max_records and max_projects first."""
    cache = dashboard.cache
    if tuning is not None:
        changes = tuning.model_dump(exclude_none=True)
        if changes:
            cache.configure(replace(cache.limits, **changes))
            log.info("dashboard cache limits changed: %s", changes)
    cache.flush()
    return CacheStatsResponse.model_validate(dashboard.cache.stats())
