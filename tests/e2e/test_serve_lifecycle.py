"""``onepiece serve`` as a real process: when it announces itself, how it fails, its timeouts.

The announcement comes once start-up has finished; a start-up failure is one
line and a non-zero exit; a tracker that cannot be reached leaves the service
running and saying what is degraded; idle and half-sent connections are
closed; the connection limit answers 503.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from onepiece.cli import exit_codes

WAIT_SECONDS = 60  # generous bound for a busy CI machine; not a timing assertion


@dataclass
class Served:
    url: str
    process: subprocess.Popen[str]
    lines: list[str]


def _serve(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "onepiece", "serve", "--port", "0"],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@contextmanager
def served(env: dict[str, str]) -> Iterator[Served]:
    """Start ``onepiece serve``, wait for its announcement, stop it with Ctrl-C afterwards."""
    process = _serve(env)
    lines: list[str] = []
    try:
        assert process.stderr is not None
        for line in process.stderr:
            lines.append(line)
            if found := re.search(r"listening on (http://127\.0\.0\.1:\d+)", line):
                yield Served(found.group(1), process, lines)
                break
        else:
            pytest.fail("no announcement: " + "".join(lines))
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)


def test_a_start_up_failure_is_one_line_and_nothing_is_announced(tmp_path: Path) -> None:
    """A render history the server cannot open: one error line, exit 3, no 'listening on'."""
    folder = tmp_path / "history-is-a-folder"
    folder.mkdir()
    process = _serve({"TRAFALGAR_RENDER_JOBS_PATH": str(folder)})
    out, err = process.communicate(timeout=WAIT_SECONDS)
    assert process.returncode == exit_codes.CONFIG, err
    assert "listening on" not in err
    assert "Traceback" not in err
    assert [line for line in err.splitlines() if line.startswith("error:")] != []
    assert out == ""


def test_serve_starts_degraded_when_the_tracker_host_does_not_resolve(
    isolated_env: Path,
) -> None:
    env = {
        "ONEPIECE_TRACKER_BACKEND": "shotgrid",
        "ONEPIECE_SHOTGRID_URL": "https://nosuchhost.invalid",
        "ONEPIECE_SHOTGRID_SCRIPT": "onepiece",
        "ONEPIECE_SHOTGRID_KEY": "e2e-key-0b5d9a7c31",
    }
    with served(env) as server:
        # Start-up (which tried the tracker) finished before the announcement.
        before_announcement = "".join(server.lines)
        assert "tracker unavailable at start-up" in before_announcement
        assert "dashboard-projects.json" in before_announcement
        assert "Traceback" not in before_announcement
        health = httpx.get(server.url + "/health", timeout=30).json()
        assert health["status"] == "degraded"
        assert health["projects"]["status"] == "unavailable"
        assert "nosuchhost.invalid" in health["projects"]["last_error"]


def _closed_by_server(sock: socket.socket) -> bool:
    """True once the server closed the connection (EOF or reset) within WAIT_SECONDS."""
    sock.settimeout(WAIT_SECONDS)
    try:
        return sock.recv(1024) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def test_idle_and_half_sent_connections_are_closed(isolated_env: Path) -> None:
    env = {"TRAFALGAR_HEADER_TIMEOUT_SECONDS": "1", "TRAFALGAR_KEEP_ALIVE_TIMEOUT_SECONDS": "1"}
    with served(env) as server:
        host, port = server.url.removeprefix("http://").split(":")
        idle = [socket.create_connection((host, int(port))) for _ in range(20)]
        dripping = [socket.create_connection((host, int(port))) for _ in range(20)]
        for sock in dripping:
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")  # the head never ends
        kept_alive = socket.create_connection((host, int(port)))
        kept_alive.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        time.sleep(0.5)
        for sock in dripping:
            sock.sendall(b"X-Slow: 1\r\n")
        assert all(_closed_by_server(sock) for sock in idle)
        assert all(_closed_by_server(sock) for sock in dripping)
        response = b""
        kept_alive.settimeout(WAIT_SECONDS)
        while chunk := kept_alive.recv(65536):  # the answer, then the idle close
            response += chunk
        assert response.startswith(b"HTTP/1.1 200")
        for sock in (*idle, *dripping, kept_alive):
            sock.close()
        # The server still answers new clients.
        assert httpx.get(server.url + "/health", timeout=30).status_code == 200


def test_requests_beyond_the_connection_limit_get_503(isolated_env: Path) -> None:
    with served({"TRAFALGAR_MAX_CONNECTIONS": "5"}) as server:
        host, port = server.url.removeprefix("http://").split(":")
        held = [socket.create_connection((host, int(port))) for _ in range(5)]
        try:
            refused = httpx.get(server.url + "/health", timeout=30)
            assert refused.status_code == 503
        finally:
            for sock in held:
                sock.close()


def test_sigterm_stops_like_ctrl_c(isolated_env: Path) -> None:
    """A service manager's SIGTERM: graceful stop, shut-down hooks run, exit 0."""
    process = _serve({})
    assert process.stderr is not None
    for line in process.stderr:
        if "listening on" in line:
            break
    process.send_signal(signal.SIGTERM)
    _out, err = process.communicate(timeout=WAIT_SECONDS)
    assert process.returncode == 0, err
    assert "Trafalgar stopped" in err
    assert "Traceback" not in err
