"""Helpers for local-farm tests against a real server: runner processes and a
probe renderer that records every render it does (tests only)."""

from __future__ import annotations

from pathlib import Path

RUNNER_MODULE = "onepiece.adapters.farms.local.runner"

# Appends "<job marker> <frame>" to a ledger, sleeps (the render), says it is done.
PROBE = """
import sys, time
ledger, job, frame, seconds = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
with open(ledger, "a") as out:
    out.write(f"{job} {frame}\\n")
time.sleep(seconds)
print(f"frame {frame} done", flush=True)
"""


def probe_command(tmp_path: Path, seconds: float) -> str:
    """A [render.commands] template: the probe, keyed by scene (one per job)."""
    probe = tmp_path / "probe.py"
    probe.write_text(PROBE)
    ledger = tmp_path / "ledger.txt"
    return f"{{python}} {probe} {ledger} {{scene}} {{start}} {seconds}"


def ledger(tmp_path: Path) -> list[str]:
    path = tmp_path / "ledger.txt"
    return path.read_text().splitlines() if path.exists() else []


def runner_pids(farm_root: Path) -> list[int]:
    """Live runner processes of the local farm at ``farm_root``."""
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().split(b"\0")
            state = (proc / "stat").read_text().rsplit(")", 1)[-1].split()[0]
        except OSError:
            continue
        args = [a.decode(errors="replace") for a in cmdline]
        ours = any(a.startswith(str(farm_root)) for a in args)
        if RUNNER_MODULE in args and ours and state not in ("Z", "X"):
            pids.append(int(proc.name))
    return pids
