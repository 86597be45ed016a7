"""Wires the dashboard service into the app: build once, hydrate at start-up, expose.

The dashboard routers call ``install_dashboard`` from their ``setup(app)``
(it is idempotent) and reach the service through ``DashboardDep``.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import Depends, FastAPI
from starlette.requests import HTTPConnection

from onepiece.bootstrap import Container
from onepiece.services.dashboard.cache import DashboardCache, clamp_limits
from onepiece.services.dashboard.media_durations import MediaDurations
from onepiece.services.dashboard.project_registry import ProjectRegistry
from onepiece.services.dashboard.service import DashboardService
from onepiece.services.dashboard.sources import DashboardSources

log = logging.getLogger("onepiece.web")


def build_dashboard(container: Container, sources: DashboardSources) -> DashboardService:
    """The service from settings; out-of-range cache limits are clamped with a warning."""
    settings = container.settings
    limits, warnings = clamp_limits(
        settings.dashboard.cache_ttl,
        settings.dashboard.cache_max_records,
        settings.dashboard.cache_max_projects,
    )
    for warning in warnings:
        log.warning(warning)
    registry = ProjectRegistry(
        lambda: container.tracker, settings.dashboard.projects, settings.dashboard_projects_path
    )
    return DashboardService(
        settings=settings,
        tracker=lambda: container.tracker,
        cache=DashboardCache(limits),
        registry=registry,
        durations=MediaDurations(settings.data_dir / "cache" / "media-durations.json"),
        sources=sources,
    )


def install_dashboard(app: FastAPI) -> None:
    if getattr(app.state, "dashboard", None) is not None:
        return
    service = build_dashboard(app.state.container, app.state.hooks.dashboard)
    app.state.dashboard = service

    def hydrate(_app: FastAPI) -> None:
        service.registry.hydrate()

    def registry_health() -> dict[str, Any]:
        state = service.registry.state()
        return {
            # The tracker is down: /health says "degraded" while the file serves the list.
            "status": "unavailable" if state.last_error else "ok",
            "count": len(state.projects),
            "source": state.source,
            "synced_at": state.synced_at.isoformat() if state.synced_at else None,
            "last_error": state.last_error,
        }

    app.state.hooks.on_startup(hydrate)
    app.state.hooks.health["projects"] = registry_health


async def get_dashboard(conn: HTTPConnection) -> DashboardService:
    service: DashboardService = conn.app.state.dashboard
    return service


DashboardDep = Annotated[DashboardService, Depends(get_dashboard)]
