"""Trafalgar's app factory. Nothing is built or connected at import time.

``create_app()`` wires one FastAPI app from the resolved settings: the
container (onepiece.bootstrap), which owns every service and its background
work, on ``app.state.container`` (routes reach it through the typed
dependencies of ``web/deps.py``), the error envelope, and one router per
resource from ``ROUTER_MODULES``.

Extending the app (render, runs, OpenCue, pages): add a module to
``ROUTER_MODULES``. It must expose ``router: APIRouter`` and may expose
``setup(app: FastAPI) -> None``, called once while the app is built, to
register start-up/shut-down hooks, /health contributors and /metrics sources
on ``app.state.hooks`` (see ``WebHooks``). Start-up hooks run in registration order, shut-down hooks
in reverse; plain functions run in a worker thread so blocking I/O stays off
the event loop.
"""

from __future__ import annotations

import importlib
import inspect
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import anyio.to_thread
from fastapi import FastAPI
from starlette.routing import BaseRoute

from onepiece import __version__
from onepiece.bootstrap import Container, bootstrap
from onepiece.config import Settings
from onepiece.web.errors import install_error_handlers
from onepiece.web.guard import RequestGuard
from onepiece.web.openapi import install_openapi

log = logging.getLogger("onepiece.web")

# One router per resource; later issues append theirs.
ROUTER_MODULES = [
    "onepiece.web.routers.health",
    "onepiece.web.routers.metrics",
    "onepiece.web.routers.projects",
    "onepiece.web.routers.admin_cache",
    # streams before jobs: /jobs/stream must not be read as a job id.
    "onepiece.web.routers.streams",
    "onepiece.web.routers.jobs",
    "onepiece.web.routers.runs",
    "onepiece.web.routers.deliveries",
    "onepiece.web.routers.opencue",
    "onepiece.web.routers.summary",
    "onepiece.web.routers.trends",
    "onepiece.web.routers.pages",
    "onepiece.web.routers.review",  # after pages: it renders with their templates
]

Hook = Callable[[FastAPI], Awaitable[None] | None]
HealthContributor = Callable[[], dict[str, Any]]


@dataclass
class WebHooks:
    """Extension points filled by router modules' ``setup(app)``."""

    startup: list[Hook] = field(default_factory=list)
    shutdown: list[Hook] = field(default_factory=list)
    # name -> callable returning extra /health fields (runs in a worker thread).
    health: dict[str, HealthContributor] = field(default_factory=dict)

    def on_startup(self, hook: Hook) -> Hook:
        self.startup.append(hook)
        return hook

    def on_shutdown(self, hook: Hook) -> Hook:
        self.shutdown.append(hook)
        return hook


async def _run_hook(hook: Hook, app: FastAPI) -> None:
    if inspect.iscoroutinefunction(hook):
        await hook(app)
    else:
        await anyio.to_thread.run_sync(hook, app)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    hooks: WebHooks = app.state.hooks
    started: list[Hook] = []
    try:
        for hook in hooks.startup:
            await _run_hook(hook, app)
            started.append(hook)
        yield
    finally:
        for hook in reversed(hooks.shutdown):
            try:
                await _run_hook(hook, app)
            except Exception:  # one failing hook must not skip the others
                log.exception("shut-down hook %r failed", hook)


def _load_settings() -> Settings:
    from onepiece.config import load_config

    resolved = load_config()
    for warning in resolved.warnings:
        log.warning(warning)
    return resolved.settings


def create_app(settings: Settings | None = None, container: Container | None = None) -> FastAPI:
    """Build the Trafalgar app. ``container`` wins over ``settings``; neither loads config."""
    owns_container = container is None
    if container is None:
        container = bootstrap(settings if settings is not None else _load_settings())
    app = FastAPI(
        title="Trafalgar",
        version=__version__,
        description="OnePiece's web service: dashboard metrics, render jobs and runs.",
        docs_url="/docs",
        openapi_url="/openapi.json",
        lifespan=_lifespan,
    )
    app.state.container = container
    app.state.hooks = WebHooks()
    install_error_handlers(app)
    if owns_container:
        # Registered first so it runs last, after every service has stopped.
        app.state.hooks.on_shutdown(lambda _app: container.close())
    # The container's background work (project list, run feed) starts first, stops last.
    app.state.hooks.on_startup(lambda _app: container.start())
    app.state.hooks.on_shutdown(lambda _app: container.stop())
    routes: list[BaseRoute] = []
    for name in ROUTER_MODULES:
        module = importlib.import_module(name)
        app.include_router(module.router)
        routes.extend(module.router.routes)
        setup = getattr(module, "setup", None)
        if setup is not None:
            setup(app)
    # Token before body, body bounded: see onepiece.web.guard.
    app.add_middleware(RequestGuard, routes=routes)
    install_openapi(app, container.settings)
    return app
