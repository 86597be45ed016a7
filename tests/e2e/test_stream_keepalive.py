"""Quiet streams stay open for clients with a 5 s read timeout (httpx's default).

The documented /runs/stream client is plain httpx; WebSocket clients see a
protocol ping as often as SSE clients see a keep-alive comment.
"""

from __future__ import annotations

import base64
import os
import socket
import time
from pathlib import Path

import httpx

from tests.e2e.test_serve_lifecycle import served

QUIET_SECONDS = 12  # well beyond httpx's 5 s read timeout


def test_a_default_httpx_client_reads_a_quiet_runs_stream(isolated_env: Path) -> None:
    with served({}) as server, httpx.Client() as client:  # default timeouts: 5 s
        comments = 0
        with client.stream("GET", server.url + "/runs/stream") as response:
            assert response.status_code == 200
            started = time.monotonic()
            for line in response.iter_lines():  # a ReadTimeout here is the defect
                if line.startswith(":"):
                    comments += 1
                if time.monotonic() - started > QUIET_SECONDS:
                    break
        assert comments >= 2


def _read_frame(sock: socket.socket) -> tuple[int, bytes]:
    """One unmasked server frame: (opcode, payload)."""

    def exactly(count: int) -> bytes:
        data = b""
        while len(data) < count:
            chunk = sock.recv(count - len(data))
            if not chunk:
                raise ConnectionError("closed")
            data += chunk
        return data

    first, second = exactly(2)
    length = second & 0x7F
    if length == 126:
        length = int.from_bytes(exactly(2), "big")
    elif length == 127:
        length = int.from_bytes(exactly(8), "big")
    return first & 0x0F, exactly(length)


def _pong(sock: socket.socket, payload: bytes) -> None:
    """Answer a ping as every WebSocket client library does (client frames are masked)."""
    mask = os.urandom(4)
    masked = bytes(byte ^ mask[i % 4] for i, byte in enumerate(payload))
    sock.sendall(bytes([0x8A, 0x80 | len(payload)]) + mask + masked)


def test_a_quiet_websocket_stream_gets_pings(isolated_env: Path) -> None:
    with served({}) as server:
        host, port = server.url.removeprefix("http://").split(":")
        sock = socket.create_connection((host, int(port)), timeout=5)  # a 5 s read timeout too
        key = base64.b64encode(os.urandom(16)).decode()
        sock.sendall(
            (
                f"GET /runs/ws HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                "Sec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        head = b""
        while b"\r\n\r\n" not in head:
            head += sock.recv(1)
        assert head.startswith(b"HTTP/1.1 101")
        opcodes = []
        started = time.monotonic()
        while time.monotonic() - started < QUIET_SECONDS:
            opcode, payload = _read_frame(sock)  # a socket timeout here is the defect
            opcodes.append(opcode)
            if opcode == 0x9:
                _pong(sock, payload)
        sock.close()
        assert opcodes[0] == 0x1  # the runs.snapshot text frame
        assert opcodes.count(0x9) >= 2  # pings
