"""Issue 15 item 4: of several ``onepiece serve`` processes on one render
history, exactly one polls the farms; ``kill -9`` of the poller hands polling
to another. On PostgreSQL (an advisory lock) and without a database URL (a
file lock beside the default SQLite state.db)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.integration.state_db.conftest import _empty_pg

WAIT_SECONDS = 60  # a ceiling for slow machines, not a timing assertion


class Serve:
    def __init__(self, tmp_path: Path, name: str, url: str | None, **extra: str) -> None:
        env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / name)}
        env["TRAFALGAR_RENDER_JOBS_PATH"] = str(tmp_path / "shared" / "render-jobs.db")
        env["ONEPIECE_RENDER_POLL_SECONDS"] = "0.2"
        env.update(extra)
        env.pop("ONEPIECE_DATABASE_URL", None)
        env.pop("TRAFALGAR_READ_TOKEN", None)
        if url is not None:
            env["ONEPIECE_DATABASE_URL"] = url
        self.process = subprocess.Popen(
            [sys.executable, "-m", "onepiece", "serve", "--port", "0"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        lines = []
        assert self.process.stderr is not None
        for line in self.process.stderr:
            lines.append(line)
            if "listening on" in line:
                break
        found = re.search(r"listening on (http://127\.0\.0\.1:\d+)", "".join(lines))
        assert found, "".join(lines)
        self.url = found.group(1)

    def role(self) -> str | None:
        try:
            health = httpx.get(self.url + "/health", timeout=10).json()
        except httpx.HTTPError:
            return None
        return str(health["render"]["poller"]["role"])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        self.process.communicate(timeout=30)


def _until(condition: object, what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise AssertionError(f"never happened: {what}")


@pytest.fixture(params=["files", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    if request.param == "files":
        yield None
        return
    url: str = request.getfixturevalue("pg_url")
    _empty_pg(url)
    yield url


def test_one_process_polls_and_another_takes_over_after_kill_9(
    tmp_path: Path, database_url: str | None
) -> None:
    first = Serve(tmp_path, "a", database_url)
    servers = [first]
    try:
        _until(lambda: first.role() == "polling", "the first server polls")
        # Without a URL, two processes on one data directory (one state.db).
        second = Serve(tmp_path, "a" if database_url is None else "b", database_url)
        servers.append(second)
        time.sleep(1)  # several poll rounds of the second: it must stay on standby
        assert second.role() == "standby"
        assert first.role() == "polling"

        first.process.send_signal(signal.SIGKILL)
        first.process.wait(timeout=30)
        _until(lambda: second.role() == "polling", "the second server takes over")
    finally:
        for server in servers:
            server.stop()
