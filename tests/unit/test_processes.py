"""process_alive names a process by pid AND start time, so a reused pid is not ours."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from onepiece.processes import process_alive, started_at

SLEEPER = [sys.executable, "-c", "import time; time.sleep(60)", "sleeper-marker"]


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(SLEEPER)
    yield proc
    proc.kill()
    proc.wait()


def test_this_process_is_alive_with_its_own_start_time() -> None:
    assert process_alive(os.getpid(), started=started_at())


def test_a_live_child_is_alive_with_its_start_time_and_marker(
    sleeper: subprocess.Popen[bytes],
) -> None:
    assert process_alive(sleeper.pid, "sleeper-marker", started=started_at(sleeper.pid))


def test_a_pid_held_by_a_process_started_at_another_time_is_not_ours(
    sleeper: subprocess.Popen[bytes],
) -> None:
    started = started_at(sleeper.pid)
    assert started is not None
    assert not process_alive(sleeper.pid, started=started - 3600)
    assert not process_alive(sleeper.pid, started=started + 3600)


def test_a_pid_running_another_command_is_not_ours(sleeper: subprocess.Popen[bytes]) -> None:
    assert not process_alive(sleeper.pid, "render_builtin")


def test_an_ended_process_is_not_alive() -> None:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    started = started_at(proc.pid)
    proc.wait()
    assert not process_alive(proc.pid, started=started)
    assert started_at(proc.pid) is None


def test_a_zombie_is_not_alive() -> None:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        deadline = time.monotonic() + 30
        while process_alive(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.02)  # exited but not reaped: a zombie until wait()
        assert not process_alive(proc.pid)
    finally:
        proc.wait()
