"""Browser fixtures: Debian's Chromium driven by Playwright against Trafalgar on loopback.

Import the fixtures into a test module (``from tests.e2e.browser_support import ...``).
Playwright never downloads a browser here: it launches ``/usr/bin/chromium``
(``make browser`` installs it) and tests skip, saying so, when it is absent.
Every page fixture saves a full-page screenshot under ``tests/artifacts/`` at
the end of its test, and records script errors so tests can assert none.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from onepiece.config import Settings
from onepiece.config.model import default_data_dir
from onepiece.web.app import create_app
from tests.web_server import serve_app

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
ADMIN_TOKEN = "pages-admin-41c9e07d"
READ_TOKEN = "pages-reader-8b2f6a13"
WAIT_MS = 20_000  # generous: two busy cores; tests wait on events, never sleep


def require_chromium() -> None:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium (run `make browser`)")


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """One headless Chromium per test module."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class Tab:
    """A page plus the script errors it reported."""

    page: Any
    context: Any = None
    errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    closed: bool = False

    def close(self, screenshot: str | None = None) -> None:
        """Close the tab (its streams too), after an optional screenshot."""
        if self.closed:
            return
        try:
            if screenshot:
                self.shot(screenshot)
        finally:
            self.closed = True
            self.context.close()

    def shot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def wait_live(self) -> None:
        self.page.wait_for_selector("#live-state[data-state='live']", timeout=WAIT_MS)


@pytest.fixture
def open_tab(chromium: Any, request: pytest.FixtureRequest) -> Iterator[Callable[..., Tab]]:
    """``open_tab(url)``: a fresh browser context (own sessionStorage) on ``url``."""
    tabs: list[Tab] = []

    def open_(url: str, *, width: int = 1366, height: int = 900) -> Tab:
        context = chromium.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        tab = Tab(page, context)
        page.on("pageerror", lambda exc: tab.errors.append(f"uncaught: {exc}"))
        page.on(
            "console",
            lambda msg: (
                tab.errors.append(msg.text)
                # A refused request (401 on purpose) is logged by Chromium as an error
                # resource load; that is the server's answer, not a script error.
                if msg.type == "error" and "Failed to load resource" not in msg.text
                else None
            ),
        )
        page.on("requestfailed", lambda req: tab.failed_requests.append(req.url))
        page.goto(url)
        tabs.append(tab)
        return tab

    yield open_
    safe = re.sub(r"[^\w.-]+", "_", request.node.name)
    for index, tab in enumerate(tabs):
        tab.close(screenshot=f"{safe}-{index}-end")


@dataclass
class PagesServer:
    """Trafalgar on loopback plus a client for its API (the dashboard token by default)."""

    url: str
    settings: Settings | None = None

    def api(self, method: str, path: str, *, token: str | None = ADMIN_TOKEN, **kw: Any) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.request(method, self.url + path, headers=headers, timeout=30, **kw)

    def submit(self, scene: Path, output: Path, frames: str = "1-6", chunk: int = 2) -> Any:
        body = {
            "dcc": "builtin",
            "scene": str(scene),
            "frames": frames,
            "output": str(output / "beauty.####.png"),
            "chunk_size": chunk,
            "user": "pages-test",
        }
        response = self.api("POST", "/jobs", json=body)
        assert response.status_code == 201, response.text
        return response.json()


def pages_settings(**trafalgar: Any) -> Settings:
    """Settings on the isolated data folder (shared with CLI subprocesses)."""
    return Settings.model_validate(
        {
            "data_dir": default_data_dir(),
            "trafalgar": {"dashboard_token": ADMIN_TOKEN, **trafalgar},
            "render": {"poll_seconds": 0.1, "max_concurrency": 2},
        }
    )


@pytest.fixture
def pages_server(isolated_env: Path) -> Iterator[PagesServer]:
    settings = pages_settings()
    with serve_app(create_app(settings)) as live:
        yield PagesServer(live.url, settings)


@pytest.fixture
def make_scene(tmp_path: Path) -> Callable[..., Path]:
    """A built-in renderer scene: ``make_scene(delay=0.3)`` (seconds per frame)."""

    def make(name: str = "scene.json", **options: Any) -> Path:
        path = tmp_path / "scenes" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"width": 32, "height": 18, **options}))
        return path

    return make


@dataclass
class ServerProcess:
    """``onepiece serve`` as its own process, so a test can stop and restart it."""

    port: int
    env: dict[str, str]
    process: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "onepiece", "serve", "--port", str(self.port)],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"onepiece serve exited: {self.process.stderr.read()}")
            try:
                if httpx.get(self.url + "/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)  # polling a port that is not open yet: nothing to await
        raise RuntimeError("onepiece serve did not answer /health in 30 s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # a graceful stop, as systemd would
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


@pytest.fixture
def server_process(isolated_env: Path) -> Iterator[ServerProcess]:
    from onepiece.web.server import bind

    probe = bind("127.0.0.1", 0)  # a free port, released for the server to take
    port = probe.getsockname()[1]
    probe.close()
    env = {
        **os.environ,
        "TRAFALGAR_DASHBOARD_TOKEN": ADMIN_TOKEN,
        "ONEPIECE_RENDER_POLL_SECONDS": "0.1",
    }
    server = ServerProcess(port, env)
    server.start()
    yield server
    server.stop()
