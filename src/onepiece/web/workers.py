"""``onepiece serve --workers N``: N uvicorn worker processes on one listening socket.

The parent binds the socket, then runs the app's start-up once itself (the
hooks every worker runs: the state database checked and migrated, the render
history opened) and stops it again, so a damaged database or a bad setting is
one line and its exit code before anything is announced. It then hands the
socket to uvicorn's process supervisor. Each worker is a spawned process that
builds its own app and container from the settings: caches, streams and the
poller lease belong to a process; state is shared through the database and
the render history file (docs/decisions.md, "Several workers"). The
supervisor restarts a worker that dies (``kill -9`` included) and stops them
all on Ctrl-C or SIGTERM. "Trafalgar listening on ..." is printed once every
worker has finished its start-up.
"""

from __future__ import annotations

import asyncio
import sys
from functools import partial
from typing import TYPE_CHECKING, Any

import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors.multiprocess import Multiprocess

from onepiece.errors import OnePieceError
from onepiece.web.server import bind_or_refuse, install_log_redaction, url_for, uvicorn_options

if TYPE_CHECKING:
    import socket

    from fastapi import FastAPI

    from onepiece.config import Settings

# How long a worker may take to start before the parent gives up announcing it.
READY_TIMEOUT_SECONDS = 60.0


class WorkerFailed(OnePieceError):
    """A worker process could not start (its own log lines say why)."""


def worker_app(settings: Settings, debug: bool) -> FastAPI:
    """The app of one worker process (uvicorn's app factory, called in the worker)."""
    from onepiece.logs import configure_logging
    from onepiece.web.app import create_app

    configure_logging(debug)
    install_log_redaction()
    return create_app(settings)


class WorkerConfig(uvicorn.Config):
    """uvicorn's settings for the workers, pickled as our settings: each spawned
    worker rebuilds them (the HTTP protocol class is made at run time)."""

    def __init__(self, settings: Settings, debug: bool) -> None:
        self.onepiece_args = (settings, debug)
        # The workers run the app's lifespan themselves (the parent cannot).
        options = {**uvicorn_options(settings), "lifespan": "on"}
        super().__init__(
            partial(worker_app, settings, debug),
            factory=True,
            workers=settings.trafalgar.workers,
            **options,
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (WorkerConfig, self.onepiece_args)


class AnnouncingSupervisor(Multiprocess):
    """uvicorn's supervisor, announcing the URL once every worker has started."""

    def __init__(self, config: WorkerConfig, sockets: list[socket.socket], url: str) -> None:
        super().__init__(config, sockets)
        self.url = url

    def init_processes(self) -> None:
        super().init_processes()
        for process in self.processes:
            if not process.wait_until_ready(READY_TIMEOUT_SECONDS, self.should_exit):
                return  # the supervisor's loop sees why (a start-up failure stops it)
        print(
            f"Trafalgar listening on {self.url} ({len(self.processes)} workers, API docs at /docs)",
            file=sys.stderr,
        )

    def startup_failed(self) -> bool:
        return any(process.exitcode == STARTUP_FAILURE for process in self.processes)


def check_startup(settings: Settings) -> None:
    """Run the app's start-up and shut-down once here: its errors are ours, in one line."""
    from onepiece.web.app import create_app

    app = create_app(settings)

    async def start_and_stop() -> None:
        async with app.router.lifespan_context(app):
            pass

    asyncio.run(start_and_stop())


def run_workers(settings: Settings, *, debug: bool = False) -> None:
    """Serve with ``settings.trafalgar.workers`` processes until interrupted."""
    sock = bind_or_refuse(settings)
    with sock:
        check_startup(settings)
        install_log_redaction()
        supervisor = AnnouncingSupervisor(WorkerConfig(settings, debug), [sock], url_for(sock))
        supervisor.run()
    if supervisor.startup_failed():
        raise WorkerFailed("a Trafalgar worker failed to start", hint="its log lines above say why")
    print("Trafalgar stopped", file=sys.stderr)
