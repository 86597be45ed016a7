"""Step 5: Trafalgar serving the demo's workspace, its pages checked over HTTP.

The server is the real ``onepiece serve`` in a subprocess, with a token the
demo generates (never a fixed default). Either the demo then keeps it in the
foreground until Ctrl-C, or (``--no-serve``, ``CI=true``) it checks that the
Workload page, the Operations page and ``/metrics`` answer with the demo's
data, stops it and returns.
"""

from __future__ import annotations

import contextlib
import json
import re
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import threading
import urllib.request
from typing import IO

from onepiece.demo.runner import StepFailed, Workspace, check, heading, say

STEP = "step 5 (Trafalgar)"
STARTUP_SECONDS = 60.0
EXPLORE_ENV = ("HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME")
LISTENING = re.compile(r"Trafalgar listening on (http://\S+)")


def free_port(preferred: int) -> int:
    """``preferred`` when nothing listens there, else 0 (any free port)."""
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", preferred))
        except OSError:
            return 0
    return preferred


def start(ws: Workspace, token: str, port: int) -> tuple[subprocess.Popen[str], str]:
    """Start ``onepiece serve``; return it and its URL once it accepts connections."""
    port = free_port(port) if port else 0
    say(f"\n$ TRAFALGAR_DASHBOARD_TOKEN={token} onepiece serve --port {port}")
    server = subprocess.Popen(
        [sys.executable, "-m", "onepiece", "serve", "--port", str(port)],
        cwd=ws.root,
        env={**ws.env, "TRAFALGAR_DASHBOARD_TOKEN": token},
        stderr=subprocess.PIPE,
        text=True,
    )
    assert server.stderr is not None
    found: list[str] = []
    ready = threading.Event()
    threading.Thread(target=_follow, args=(server.stderr, found, ready), daemon=True).start()
    if not ready.wait(STARTUP_SECONDS) or not found:
        stop(server)
        raise StepFailed(f"{STEP}: `onepiece serve` did not start (see its output above)")
    return server, found[0]


def _follow(stream: IO[str], found: list[str], ready: threading.Event) -> None:
    """Echo the server's log (it must be drained anyway) and spot its URL."""
    for line in stream:
        print(line, end="", flush=True)
        match = LISTENING.search(line)
        if match and not found:
            found.append(match.group(1))
            ready.set()
    ready.set()  # the server ended before announcing itself


def stop(server: subprocess.Popen[str]) -> None:
    """Stop the server as Ctrl-C does, and wait for it."""
    if server.poll() is None:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def get(url: str, token: str | None = None) -> str:
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 - loopback
            body: bytes = answer.read()
    except OSError as exc:
        raise StepFailed(f"{STEP}: GET {url} failed: {exc}") from exc
    return body.decode("utf-8")


def check_pages(url: str, token: str, versions: int, jobs: int, runs: int) -> None:
    """Both pages and /metrics answer, with the demo's data in them."""
    workload = get(f"{url}/")
    check(
        'data-field="status.versions">' + str(versions) in workload,
        STEP,
        f"the Workload page (/) does not show {versions} Versions",
    )
    check(">demo<" in workload, STEP, "the Workload page (/) does not list project demo")
    operations = get(f"{url}/operations")
    check("<h1>Operations</h1>" in operations, STEP, "the Operations page does not answer")
    # The Operations page fills its tables from the job and run streams, which
    # start from the same records as these routes.
    listed = json.loads(get(f"{url}/jobs", token))["jobs"]
    finished = [job for job in listed if job["status"] == "succeeded"]
    check(len(finished) == jobs, STEP, f"/jobs lists {len(finished)} finished render jobs")
    recorded = json.loads(get(f"{url}/runs", token))["runs"]
    check(len(recorded) == runs, STEP, f"/runs lists {len(recorded)} ingest runs, expected {runs}")
    metrics = json.loads(get(f"{url}/metrics", token))
    shown = metrics["status"]["versions"]
    check(shown == versions, STEP, f"/metrics counts {shown} Versions, expected {versions}")
    say(
        f"\nchecked: / shows {versions} Versions of project demo; /operations answers, with "
        f"{len(finished)} finished render job(s) and {len(recorded)} ingest runs behind it; "
        f"/metrics (with the token) counts {shown} Versions"
    )


def serve(ws: Workspace, *, foreground: bool, port: int, expected: tuple[int, int, int]) -> None:
    heading(5, "Trafalgar serving this workspace: the Workload and Operations pages")
    token = secrets.token_urlsafe(18)  # this demo's own; never a fixed default
    server, url = start(ws, token, port)
    try:
        check_pages(url, token, *expected)
        say(
            f"\nOpen the Workload page:   {url}/\n"
            f"     the Operations page: {url}/operations\n"
            f"Dashboard token (cancel buttons, /metrics): {token}\n"
            f"e.g. curl -H 'Authorization: Bearer {token}' {url}/metrics\n"
            f"\nTo keep exploring this workspace from another shell:\n"
            f"  cd {shlex.quote(str(ws.root))} && export "
            + " ".join(f"{name}={shlex.quote(ws.env[name])}" for name in EXPLORE_ENV)
            + "\n"
        )
        if foreground:
            say("\nTrafalgar runs in the foreground: press Ctrl-C to stop it.")
            # Ctrl-C reaches the server too (same process group); stop() waits for it.
            with contextlib.suppress(KeyboardInterrupt):
                server.wait()
            if server.returncode not in (None, 0, 130, -signal.SIGINT):
                raise StepFailed(f"{STEP}: `onepiece serve` exited {server.returncode}")
    finally:
        stop(server)
