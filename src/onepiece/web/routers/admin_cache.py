"""``GET /admin/cache`` and ``POST /admin/cache``: inspect, flush and tune the dashboard cache.

Admin token. POST flushes every bucket, on every worker sharing a PostgreSQL
state database (a ``NOTIFY``); an optional JSON body sets new limits on this
worker (validated: out-of-range values answer 422 ``request.invalid``).
"""

from __future__ import annotations

import logging
from dataclasses import replace

import anyio
from fastapi import APIRouter, Body

from onepiece.web.deps import AdminAuth, ContainerDep, DashboardDep
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
    container: ContainerDep,
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
    await anyio.to_thread.run_sync(container.announce, "cache")
    return CacheStatsResponse.model_validate(dashboard.cache.stats())
