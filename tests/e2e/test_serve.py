"""``onepiece serve`` end to end: a real process, a real port, tokens never printed."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx

TOKEN = "e2e-dashboard-5c1a9b"


def test_serve_announces_its_url_and_answers_until_interrupted(isolated_env: Path) -> None:
    env = {
        **os.environ,
        "TRAFALGAR_DASHBOARD_TOKEN": TOKEN,
        "ONEPIECE_DASHBOARD_CACHE_TTL": "-1",  # clamped, with a warning
        "ONEPIECE_LOG_LEVEL": "INFO",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "onepiece", "serve", "--port", "0"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    try:
        assert process.stderr is not None
        for line in process.stderr:
            lines.append(line)
            if "Application startup complete" in line:
                break
        text = "".join(lines)
        url = re.search(r"listening on (http://127\.0\.0\.1:\d+)", text)
        assert url, text
        health = httpx.get(url.group(1) + "/health?token=" + TOKEN, timeout=10)
        assert health.status_code == 200
        assert health.json()["status"] == "ok"
        assert httpx.get(url.group(1) + "/admin/cache", timeout=10).status_code == 401
        cache = httpx.get(
            url.group(1) + "/admin/cache", headers={"Authorization": f"Bearer {TOKEN}"}
        )
        assert cache.json()["ttl_seconds"] == 0.0
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=20)
    output = "".join(lines) + err + out
    assert "out of range" in output
    assert TOKEN not in output
    assert "token=***" in output  # the access log line, redacted
    assert process.returncode == 0


def test_the_announced_url_accepts_connections_at_once(isolated_env: Path) -> None:
    """A script may connect as soon as it reads the URL: no refusal while the app starts."""
    process = subprocess.Popen(
        [sys.executable, "-m", "onepiece", "serve", "--port", "0"],
        env=dict(os.environ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        url = None
        for line in process.stderr:
            found = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
            if found:
                url = found.group(1)
                break
        assert url, "no URL announced"
        host, port = url.removeprefix("http://").split(":")
        # No retry: the very first connection must not be refused.
        socket.create_connection((host, int(port)), timeout=30).close()
        assert httpx.get(url + "/health", timeout=30).status_code == 200
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=20)
