"""Running Trafalgar under uvicorn: bind, announce the URL, redact tokens from logs."""

from __future__ import annotations

import contextlib
import logging
import re
import socket
import sys
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


def url_for(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def run(settings: Settings) -> None:
    """Serve until interrupted. Config errors surface before anything is bound."""
    import uvicorn

    from onepiece.errors import ConfigError
    from onepiece.web.app import create_app

    app = create_app(settings)
    try:
        sock = bind(settings.trafalgar.host, settings.trafalgar.port)
    except OSError as exc:
        raise ConfigError(
            f"cannot listen on {settings.trafalgar.host}:{settings.trafalgar.port}: {exc.strerror}",
            hint="pick another --port or --host",
        ) from exc
    config: dict[str, Any] = {"log_level": settings.log_level.lower(), "access_log": True}
    server = uvicorn.Server(uvicorn.Config(app, **config))
    install_log_redaction()
    print(f"Trafalgar listening on {url_for(sock)} (API docs at /docs)", file=sys.stderr)
    # uvicorn shuts down gracefully, then re-raises Ctrl-C: for a server that is a normal stop.
    with sock, contextlib.suppress(KeyboardInterrupt):
        server.run(sockets=[sock])
    print("Trafalgar stopped", file=sys.stderr)
