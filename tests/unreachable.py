"""Servers that cannot be reached, on loopback: for testing how adapters report outages.

Each yields a (scheme-less) ``host:port`` and a way to build a URL:

- ``dns``: a name that never resolves (``.invalid`` is reserved, RFC 2606);
- ``refused``: a loopback port nobody listens on;
- ``tls_to_plain``: a plain HTTP server, for a client that speaks TLS to it;
- ``silent``: a listening socket that accepts and never answers (timeouts).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

KINDS = ("dns", "refused", "tls_to_plain", "silent")


class _PlainHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"plain HTTP, not TLS\n")

    do_POST = do_GET  # noqa: N815

    def log_message(self, *_args: object) -> None:
        pass


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def unreachable(kind: str) -> Iterator[str]:
    """``host:port`` of a server that fails the way ``kind`` says."""
    if kind == "dns":
        yield "nosuchhost.invalid:443"
    elif kind == "refused":
        yield f"127.0.0.1:{_free_port()}"
    elif kind == "tls_to_plain":
        server = ThreadingHTTPServer(("127.0.0.1", 0), _PlainHandler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"127.0.0.1:{server.server_address[1]}"
        finally:
            server.shutdown()
            server.server_close()
    elif kind == "silent":
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            sock.listen(64)  # connections complete in the backlog; nothing ever answers
            yield f"127.0.0.1:{sock.getsockname()[1]}"
    else:
        raise ValueError(kind)
