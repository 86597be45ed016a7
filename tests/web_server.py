"""A real uvicorn server on 127.0.0.1, on a free port, in a background thread.

Reusable by every web test that needs real sockets (auth matrix, SSE,
WebSocket, browsers)::

    from tests.web_server import serve_app

    with serve_app(create_app(settings)) as server:
        httpx.get(server.url + "/health")

or the ``live_server`` fixture factory (import it in a conftest.py).
The server runs the app's lifespan, so start-up and shut-down hooks run too.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
import uvicorn

from onepiece.web.server import bind, url_for

START_TIMEOUT = 15.0


class _SignallingServer(uvicorn.Server):
    """uvicorn.Server that sets an event once it is accepting connections."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()

    async def startup(self, sockets: Any = None) -> None:
        try:
            await super().startup(sockets=sockets)
        finally:
            self.ready.set()


@dataclass
class LiveServer:
    url: str
    ws_url: str
    server: uvicorn.Server


@contextmanager
def serve_app(app: Any, port: int = 0, ws: str = "auto") -> Iterator[LiveServer]:
    """Run ``app`` under uvicorn until the block exits; raises if it fails to start.

    ``port`` 0 picks a free one; pass a previous server's port to restart "the same"
    server (clients reconnecting after a restart). ``ws``: uvicorn's WebSocket
    protocol implementation.
    """
    sock = bind("127.0.0.1", port)
    server = _SignallingServer(uvicorn.Config(app, log_level="warning", lifespan="on", ws=ws))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        if not server.ready.wait(START_TIMEOUT) or not server.started:
            raise RuntimeError("uvicorn did not start (see the captured log)")
        url = url_for(sock)
        yield LiveServer(url=url, ws_url="ws" + url[len("http") :], server=server)
    finally:
        server.should_exit = True
        thread.join(START_TIMEOUT)
        sock.close()


@pytest.fixture
def live_server() -> Iterator[Callable[[Any], AbstractContextManager[LiveServer]]]:
    """Factory: ``with live_server(app) as server: ...`` (stopped at the end of the block)."""
    yield serve_app
