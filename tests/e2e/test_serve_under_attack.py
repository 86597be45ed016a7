"""``onepiece serve`` against hostile bodies: token before body, bounded bodies, flat memory.

A real server process on loopback; raw sockets so a test can send headers
without the body a client promised, or stream more than it should.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

TOKEN = "e2e-attack-dashboard-41d7"
MIB = 1024 * 1024
# Far over the default 1 MiB limit; the attack sent 300 MB bodies.
LARGE = 64 * MIB
# Growth of the server's peak memory allowed over the whole attack.
FLAT = 32 * MIB


@dataclass
class Served:
    pid: int
    port: int


@pytest.fixture
def served(isolated_env: Path) -> Iterator[Served]:
    env = {**os.environ, "TRAFALGAR_DASHBOARD_TOKEN": TOKEN, "ONEPIECE_LOG_LEVEL": "WARNING"}
    process = subprocess.Popen(
        [sys.executable, "-m", "onepiece", "serve", "--port", "0"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        port = None
        for line in process.stderr:
            found = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
            if found:
                port = int(found.group(1))
                break
        assert port, "no URL announced"
        # The first answer proves start-up is over (connections wait in the backlog).
        assert request_head(port, "GET", "/health", {}).startswith("HTTP/1.1 200")
        yield Served(process.pid, port)
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)


def memory(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak resident memory) of a process, in bytes."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            found[name] = int(value.split()[0]) * 1024
    return found


def _head(method: str, path: str, headers: dict[str, str]) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _read_response(sock: socket.socket) -> str:
    """The answer's head and its (Content-Length framed) body."""
    data = b""
    while b"\r\n\r\n" not in data or len(data.partition(b"\r\n\r\n")[2]) < _length(data):
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data.decode("latin-1")


def _length(data: bytes) -> int:
    found = re.search(rb"content-length: (\d+)", data, re.IGNORECASE)
    return int(found.group(1)) if found else 0


def request_head(port: int, method: str, path: str, headers: dict[str, str]) -> str:
    """Send only the request head (no promised body) and return the answer's head."""
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        sock.sendall(_head(method, path, headers))
        return _read_response(sock)


def blast(port: int, headers: dict[str, str], size: int, *, chunked: bool) -> None:
    """Send a ``size``-byte body, stopping quietly when the server drops the connection."""
    framing = {"Transfer-Encoding": "chunked"} if chunked else {"Content-Length": str(size)}
    block = b"x" * MIB
    frame = f"{len(block):x}\r\n".encode() + block + b"\r\n" if chunked else block
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
            sock.sendall(_head("POST", "/jobs", {**headers, **framing}))
            for _ in range(size // MIB):
                sock.sendall(frame)
            if chunked:
                sock.sendall(b"0\r\n\r\n")
            _read_response(sock)
    except OSError:
        pass  # refused early and closed: what a hostile client should get


JSON = {"Content-Type": "application/json"}
ADMIN = {**JSON, "Authorization": f"Bearer {TOKEN}"}


def status(head: str) -> int:
    return int(head.split(" ", 2)[1])


def test_the_token_is_checked_before_the_body_is_read(served: Served) -> None:
    # The body is promised but never sent: only an answer from the headers can come back.
    for headers in (JSON, {**JSON, "Authorization": "Bearer wrong-token"}):
        for framing in ({"Content-Length": str(300 * 10**6)}, {"Transfer-Encoding": "chunked"}):
            head = request_head(served.port, "POST", "/jobs", {**headers, **framing})
            assert status(head) == 401, head
            assert "auth." in head or "connection: close" in head.lower(), head


def test_malformed_json_without_a_token_is_401_not_422(served: Served) -> None:
    with socket.create_connection(("127.0.0.1", served.port), timeout=20) as sock:
        body = b'{"dcc": '
        sock.sendall(_head("POST", "/jobs", {**JSON, "Content-Length": str(len(body))}) + body)
        assert status(_read_response(sock)) == 401


def test_a_body_over_the_limit_is_413_from_its_length_or_while_it_streams(
    served: Served,
) -> None:
    head = request_head(served.port, "POST", "/jobs", {**ADMIN, "Content-Length": str(LARGE)})
    assert status(head) == 413, head
    with socket.create_connection(("127.0.0.1", served.port), timeout=20) as sock:
        sock.sendall(_head("POST", "/jobs", {**ADMIN, "Transfer-Encoding": "chunked"}))
        block = b"y" * (256 * 1024)
        for _ in range(5):  # 1.25 MiB, a little over the 1 MiB default
            sock.sendall(f"{len(block):x}\r\n".encode() + block + b"\r\n")
        answer = _read_response(sock)
    assert status(answer) == 413, answer
    assert "request.too_large" in answer


def test_memory_stays_flat_under_large_bodies(served: Served) -> None:
    before = memory(served.pid)
    for chunked in (False, True):
        for _ in range(2):
            blast(served.port, JSON, LARGE, chunked=chunked)
            blast(served.port, {**JSON, "Authorization": "Bearer wrong"}, LARGE, chunked=chunked)
            blast(served.port, ADMIN, LARGE, chunked=chunked)
    after = memory(served.pid)
    assert request_head(served.port, "GET", "/health", {}).startswith("HTTP/1.1 200")
    assert after["VmHWM"] - before["VmHWM"] < FLAT, (before, after)
    assert after["VmRSS"] - before["VmRSS"] < FLAT, (before, after)
