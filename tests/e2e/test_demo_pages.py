"""The demo's workspace in a real browser: both pages show its data live.

Runs the demo's steps, serves the workspace with the real ``onepiece serve``
(as the demo does) and opens both pages in headless Chromium. With
``REFRESH_DOC_SCREENSHOTS=1`` (``make screenshots``) the pictures the
README shows are written to docs/images/; otherwise to tests/artifacts/.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from onepiece.demo.runner import Workspace
from onepiece.demo.serve import start, stop
from onepiece.demo.steps import all_steps
from tests.e2e.browser_support import ARTIFACTS, WAIT_MS, Tab, chromium, open_tab

pytestmark = pytest.mark.browser
__all__ = ["chromium", "open_tab"]  # fixtures, used by name

DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "images"
TOKEN = "demo-pages-test-6b0e94"
# Read at import: the suite's fixtures clear the environment of each test.
REFRESH_DOCS = os.environ.get("REFRESH_DOC_SCREENSHOTS") == "1"


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Trafalgar serving a workspace the demo's steps filled."""
    workspace = Workspace.create(tmp_path_factory.mktemp("demo"))
    all_steps(workspace)
    server, url = start(workspace, TOKEN, 0)
    try:
        yield url
    finally:
        stop(server)


def picture(tab: Tab, name: str) -> None:
    folder = DOCS_IMG if REFRESH_DOCS else ARTIFACTS
    folder.mkdir(parents=True, exist_ok=True)
    tab.page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def test_the_workload_page_shows_the_demo(demo_url: str, open_tab: Callable[..., Tab]) -> None:
    tab = open_tab(demo_url + "/", width=1280, height=800)
    tab.wait_live()
    page: Any = tab.page
    expect(page.locator("[data-field='status.versions']")).to_have_text("4", timeout=WAIT_MS)
    expect(page.locator("[data-field='render.by_status.completed']")).to_have_text(
        "1", timeout=WAIT_MS
    )
    expect(page.locator("[data-field='ingest.counts.total']")).to_have_text("2", timeout=WAIT_MS)
    picture(tab, "workload")
    assert tab.errors == []


def test_the_operations_page_lists_the_demo_job_and_runs(
    demo_url: str, open_tab: Callable[..., Tab]
) -> None:
    tab = open_tab(demo_url + "/operations", width=1280, height=800)
    tab.wait_live()
    page: Any = tab.page
    page.wait_for_selector("#jobs tr[data-status='succeeded']", timeout=WAIT_MS)
    expect(page.locator("#runs tbody tr")).to_have_count(2, timeout=WAIT_MS)
    statuses = sorted(
        page.locator("#runs tbody tr").evaluate_all("r => r.map(e => e.dataset.status)")
    )
    assert statuses == ["completed", "failed"]  # the deliberate checksum error, then the resume
    assert re.search(r"24 / 24", page.text_content("#jobs tbody") or "")
    picture(tab, "operations")
    assert tab.errors == []
