"""The pages in a real browser: headless Chromium against Trafalgar on loopback.

Jobs go through the real API to the local farm's built-in renderer; ingest
runs come from the real ``onepiece ingest`` command in a subprocess. Every
test leaves screenshots in tests/artifacts/.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import expect

from onepiece.adapters.farms.opencue.farm import create as create_opencue_farm
from onepiece.config.model import OpenCueSettings
from onepiece.domain.render import JobRequest
from onepiece.samples import make_delivery
from onepiece.web.app import create_app
from tests.e2e.browser_support import (
    ADMIN_TOKEN,
    READ_TOKEN,
    WAIT_MS,
    PagesServer,
    ServerProcess,
    Tab,
    pages_settings,
)
from tests.e2e.conftest import Run
from tests.fake_cuebot import FakeCuebot
from tests.web_server import serve_app

pytestmark = pytest.mark.browser

OpenTab = Callable[..., Tab]

# Records every status a job's row shows, from the page itself.
WATCH_ROW = """(key) => {
  window.__seen = [];
  const note = () => {
    const row = document.querySelector(`tr[data-key="${key}"]`);
    if (row && window.__seen.at(-1) !== row.dataset.status) window.__seen.push(row.dataset.status);
  };
  new MutationObserver(note).observe(document.querySelector("#jobs tbody"),
    {childList: true, subtree: true, attributes: true});
  note();
}"""


def row(tab: Tab, key: str) -> str:
    return (
        f"#jobs tr[data-key='{key}']" if key.startswith("job:") else f"#runs tr[data-key='{key}']"
    )


def test_both_pages_load_live_without_script_errors(
    pages_server: PagesServer, open_tab: OpenTab
) -> None:
    for path in ("/", "/operations"):
        tab = open_tab(pages_server.url + path)
        tab.wait_live()
        expect(tab.page.locator("#last-updated")).not_to_have_text("not yet", timeout=WAIT_MS)
        assert tab.errors == []
    wall = open_tab(pages_server.url + "/", width=2560, height=1440)
    wall.wait_live()
    wall.shot("dashboard-wall-display")
    assert wall.errors == []


def test_a_submitted_job_appears_and_progresses_live(
    pages_server: PagesServer,
    open_tab: OpenTab,
    make_scene: Callable[..., Path],
    tmp_path: Path,
) -> None:
    ops = open_tab(pages_server.url + "/operations")
    dash = open_tab(pages_server.url + "/")
    ops.wait_live()
    dash.wait_live()
    ops.page.evaluate("window.__sameDocument = true")

    job = pages_server.submit(make_scene(delay=0.25), tmp_path / "out", frames="1-8", chunk=2)
    key = f"job:{job['id']}"
    ops.page.wait_for_selector(row(ops, key), timeout=WAIT_MS)
    ops.page.evaluate(WATCH_ROW, key)
    ops.shot("job-appeared")
    ops.page.wait_for_selector(f"{row(ops, key)}[data-status='succeeded']", timeout=WAIT_MS)
    ops.shot("job-succeeded")

    seen = ops.page.evaluate("window.__seen")
    assert "running" in seen and seen[-1] == "succeeded", seen
    done = ops.page.text_content(f"{row(ops, key)} td[data-col='done']")
    assert done is not None and done.strip() == "8 / 8"
    assert ops.page.evaluate("window.__sameDocument") is True  # updated without a reload

    expect(dash.page.locator("[data-field='render.by_status.completed']")).to_have_text(
        "1", timeout=WAIT_MS
    )
    assert dash.page.text_content("#by-farm tbody th") == "local"
    assert ops.errors == [] and dash.errors == []


def test_an_ingest_run_from_the_cli_appears_live(
    pages_server: PagesServer, open_tab: OpenTab, onepiece: Run, tmp_path: Path
) -> None:
    ops = open_tab(pages_server.url + "/operations")
    dash = open_tab(pages_server.url + "/")
    ops.wait_live()
    dash.wait_live()
    delivery = make_delivery(
        tmp_path / "delivery", clips=1, clip_seconds=0.5, frames=(1001, 1003), gap=None,
        manifest=None,
    )  # fmt: skip

    result = onepiece(
        "ingest", "--project", "demo", "--show-code", "FG", str(delivery.folder),
        "--format", "json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    run_id = json.loads(result.stdout)["run_id"]

    selector = f"{row(ops, 'run:' + run_id)}[data-status='completed']"
    ops.page.wait_for_selector(selector, timeout=WAIT_MS)
    counts = ops.page.text_content(f"{selector} td:nth-of-type(4)")
    assert counts is not None and "registered 2" in counts, counts
    expect(dash.page.locator("[data-field='ingest.counts.successful']")).to_have_text(
        "1", timeout=WAIT_MS
    )
    assert dash.page.text_content("[data-field='ingest.counts.total']") == "1"
    ops.shot("ingest-run")
    assert ops.errors == [] and dash.errors == []


def test_unconfigured_opencue_says_what_to_set(
    pages_server: PagesServer, open_tab: OpenTab
) -> None:
    for path in ("/", "/operations"):
        tab = open_tab(pages_server.url + path)
        alert = tab.page.locator("#opencue-alert")
        alert.filter(has_text="OPENCUE_HOSTS").wait_for(timeout=WAIT_MS)
        assert "OPENCUE_DEFAULT_SHOW" in alert.text_content()
        assert alert.is_visible()
        tab.shot(f"opencue-not-configured{path.replace('/', '-')}")


def test_cancel_from_the_page_is_refused_without_the_token_and_works_with_it(
    pages_server: PagesServer,
    open_tab: OpenTab,
    make_scene: Callable[..., Path],
    tmp_path: Path,
) -> None:
    job = pages_server.submit(make_scene(delay=1.0), tmp_path / "out", frames="1-60", chunk=5)
    ops = open_tab(pages_server.url + "/operations")
    ops.page.on("dialog", lambda dialog: dialog.accept())
    button = ops.page.locator(f"{row(ops, 'job:' + job['id'])} button[data-cancel]")
    result = ops.page.locator("#action-result")

    button.click(timeout=WAIT_MS)
    result.filter(has_text="auth.missing_token").wait_for(timeout=WAIT_MS)
    assert "Cancel refused" in result.text_content()
    ops.shot("cancel-refused-without-token")
    assert pages_server.api("GET", f"/jobs/{job['id']}").json()["status"] != "cancelled"

    ops.page.fill("#admin-token", "not-the-dashboard-token")
    ops.page.click("#token-form button[type=submit]")
    button.click(timeout=WAIT_MS)
    result.filter(has_text="auth.invalid_token").wait_for(timeout=WAIT_MS)
    assert pages_server.api("GET", f"/jobs/{job['id']}").json()["status"] != "cancelled"

    ops.page.fill("#admin-token", ADMIN_TOKEN)
    ops.page.click("#token-form button[type=submit]")
    button.click(timeout=WAIT_MS)
    result.filter(has_text="cancelled").wait_for(timeout=WAIT_MS)
    ops.page.wait_for_selector(
        f"{row(ops, 'job:' + job['id'])}[data-status='cancelled']", timeout=WAIT_MS
    )
    ops.shot("cancel-accepted")
    assert pages_server.api("GET", f"/jobs/{job['id']}").json()["status"] == "cancelled"
    assert ops.errors == []


def test_pages_reconnect_after_a_server_restart(
    server_process: ServerProcess,
    open_tab: OpenTab,
    make_scene: Callable[..., Path],
    tmp_path: Path,
) -> None:
    ops = open_tab(server_process.url + "/operations")
    dash = open_tab(server_process.url + "/")
    ops.wait_live()
    dash.wait_live()
    ops.page.evaluate("window.__sameDocument = true")

    server_process.stop()
    for tab in (ops, dash):
        tab.page.wait_for_selector("#live-state:not([data-state='live'])", timeout=WAIT_MS)
    ops.shot("reconnecting")

    server_process.start()
    job = PagesServer(server_process.url).submit(make_scene(), tmp_path / "out", frames="1-2")
    ops.page.wait_for_selector(row(ops, "job:" + job["id"]), timeout=WAIT_MS)
    ops.wait_live()
    dash.wait_live()
    expect(dash.page.locator("[data-field='render.jobs']")).to_have_text("1", timeout=WAIT_MS)
    assert ops.page.evaluate("window.__sameDocument") is True
    assert ops.errors == [] and dash.errors == []


def test_a_read_token_in_the_url_opens_the_pages_their_streams_and_links(
    isolated_env: Path, open_tab: OpenTab
) -> None:
    settings = pages_settings(read_token=READ_TOKEN)
    with serve_app(create_app(settings)) as live:
        refused = open_tab(live.url + "/operations")
        assert refused.page.locator("h1").text_content() == "A read token is needed"
        refused.page.fill("#token", READ_TOKEN)
        refused.page.click("button[type=submit]")
        refused.wait_live()  # the streams took ?token= too
        refused.page.click("nav a:has-text('Workload')")  # links carry the token
        refused.wait_live()
        assert refused.page.locator("h1").text_content() == "Workload"
        assert refused.errors == []
        refused.close(screenshot="read-token-workload")  # before the server stops


def test_opencue_queue_jobs_show_with_the_dashboard_token(
    isolated_env: Path, open_tab: OpenTab, fake_cuebot: FakeCuebot
) -> None:
    settings = pages_settings()
    opencue = {"hosts": fake_cuebot.address, "default_show": "testing", "cache_seconds": 0}
    settings = settings.model_copy(update={"opencue": OpenCueSettings(**opencue)})
    farm = create_opencue_farm(settings)
    request = JobRequest(
        dcc="maya", scene="/shows/testing/sh030/anim_v002.ma", frames="1001-1012",
        output="/renders/sh030/", farm="opencue", chunk_size=4, user="carol",
    )  # fmt: skip
    running, queued = farm.submit(request), farm.submit(request)
    fake_cuebot.step(running)
    with serve_app(create_app(settings)) as live:
        dash = open_tab(live.url + "/")
        tile = dash.page.locator("[data-field='opencue.summary.running']")
        expect(dash.page.locator("[data-field='opencue.summary.cued']")).to_have_text(
            "1", timeout=WAIT_MS
        )
        assert tile.text_content() == "1"
        assert not dash.page.locator("#opencue-alert").is_visible()
        ops = open_tab(live.url + "/operations")
        ops.page.locator("#opencue-alert").filter(has_text="dashboard token").wait_for()
        ops.page.fill("#admin-token", ADMIN_TOKEN)
        ops.page.click("#token-form button[type=submit]")
        ops.page.wait_for_selector(f"#jobs tr[data-key='cue:{running}']", timeout=WAIT_MS)
        row = ops.page.locator(f"#jobs tr[data-key='cue:{running}']")
        assert row.get_attribute("data-status") == "running"
        assert "carol" in row.text_content()
        assert ops.page.locator(f"#jobs tr[data-key='cue:{queued}']").count() == 1
        assert row.locator("button[data-cancel]").count() == 0  # not OnePiece's to cancel
        ops.page.select_option("#jobs-farm", "opencue")
        assert ops.page.locator("#jobs tbody tr[data-key^='cue:']").count() == 2
        assert dash.errors == [] and ops.errors == []
        dash.close(screenshot="opencue-dashboard")
        ops.close(screenshot="opencue-operations")
