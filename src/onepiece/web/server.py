"""Running Trafalgar under uvicorn: bind, start, announce the URL, redact tokens from logs.

The app's lifespan (its start-up hooks) runs here, around uvicorn, rather than
inside it: a start-up failure is then one of our errors, reported by the CLI
in one line with its exit code, and "Trafalgar listening on ..." is printed
only once start-up has finished and the server accepts connections.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import signal
import socket
import sys
from collections.abc import Iterator
from typing import Any

from onepiece.config import Settings

# uvicorn's own default backlog.
BACKLOG = 2048
# ``?token=...`` (browsers' WebSocket/EventSource auth) must never reach a log line.
_TOKEN_IN_QUERY = re.compile(r"((?:^|[?&])token=)[^&\s\"]*", re.IGNORECASE)


def redact(text: str) -> str:
    return _TOKEN_IN_QUERY.sub(r"\1***", text)


class RedactTokens(logging.Filter):
    """Mask token query values in uvicorn's access and connection log lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


def install_log_redaction() -> None:
    for name in ("uvicorn.access", "uvicorn.error"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactTokens) for f in logger.filters):
            logger.addFilter(RedactTokens())


def bind(host: str, port: int) -> socket.socket:
    """Bind and listen before starting, so port 0 resolves to a real port we can announce.

    Listening at once makes the announcement true: a client that connects while
    the app is still starting waits in the backlog instead of being refused.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(BACKLOG)
    sock.set_inheritable(True)
    return sock


def bind_or_refuse(settings: Settings) -> socket.socket:
    """The configured address, bound and listening; a ``ConfigError`` when it cannot be."""
    from onepiece.errors import ConfigError

    try:
        return bind(settings.trafalgar.host, settings.trafalgar.port)
    except OSError as exc:
        raise ConfigError(
            f"cannot listen on {settings.trafalgar.host}:{settings.trafalgar.port}: {exc.strerror}",
            hint="pick another --port or --host",
        ) from exc


def url_for(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's settings from ours: timeouts, the connection limit and WebSocket pings."""
    from onepiece.web.server_protocol import protocol_class

    web = settings.trafalgar
    return {
        "log_level": settings.log_level.lower(),
        "access_log": True,
        # Our lifespan runs around the server (serve_until_stopped), so a start-up
        # failure is one of our errors, raised before anything is announced.
        "lifespan": "off",
        "http": protocol_class(web.header_timeout_seconds),
        "timeout_keep_alive": web.keep_alive_timeout_seconds,
        "limit_concurrency": web.max_connections,
        # WebSocket streams get a protocol ping as often as SSE streams get a comment.
        "ws_ping_interval": web.stream_keepalive_seconds,
        "ws_ping_timeout": max(20.0, web.stream_keepalive_seconds),
    }


def announcing_server(config: Any, url: str) -> Any:
    """A uvicorn.Server that announces ``url`` once it accepts connections, not before."""
    import uvicorn

    class AnnouncingServer(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets=sockets)
            if self.started:
                print(f"Trafalgar listening on {url} (API docs at /docs)", file=sys.stderr)
                logging.getLogger("uvicorn.error").info("Application startup complete.")

    return AnnouncingServer(config)


async def serve_until_stopped(app: Any, server: Any, sock: socket.socket) -> None:
    """Start the app's services, serve, stop them; Ctrl-C is a normal stop."""
    async with app.router.lifespan_context(app):
        # uvicorn re-raises Ctrl-C after its graceful shutdown; stop the services still.
        with contextlib.suppress(KeyboardInterrupt):
            await server.serve(sockets=[sock])


def run(settings: Settings, *, debug: bool = False) -> None:
    """Serve until interrupted. Config and start-up errors surface before any announcement.

    ``trafalgar.workers`` > 1: that many worker processes (web.workers)."""
    import uvicorn

    if settings.trafalgar.workers > 1:
        from onepiece.web.workers import run_workers

        run_workers(settings, debug=debug)
        return

    from onepiece.web.app import create_app

    app = create_app(settings)
    sock = bind_or_refuse(settings)
    config = uvicorn.Config(app, **uvicorn_options(settings))
    server = announcing_server(config, url_for(sock))
    install_log_redaction()
    # uvicorn's event loop choice (uvloop when installed); Ctrl-C is a normal stop.
    runner = asyncio.Runner(loop_factory=config.get_loop_factory())
    with sock, stop_on_signals(), contextlib.suppress(KeyboardInterrupt), runner:
        runner.run(serve_until_stopped(app, server, sock))
    print("Trafalgar stopped", file=sys.stderr)


def _interrupt(_signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """SIGINT and SIGTERM raise KeyboardInterrupt where the server runs, so it stops gracefully.

    uvicorn handles both while it serves, then re-raises the one it got once
    its own shutdown is done. With the default SIGTERM action that would end
    the process before the app's shut-down hooks, and asyncio's own SIGINT
    handler would cancel them; raising KeyboardInterrupt lets
    ``serve_until_stopped`` run them.
    """
    previous = {sig: signal.signal(sig, _interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
