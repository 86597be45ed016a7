"""The dashboard's trend charts and latest thumbnails in headless Chromium.

Versions with review media are made by the real worker in the server's own
tracker and storage; ingest runs are recorded by the real run recorder in the
server's registry; render jobs go through the real API to the local farm.
The charts (uPlot, shipped in the wheel) draw under the page's strict CSP,
the thumbnails load, and a new ingest run shows up without a reload.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from onepiece.bootstrap import bootstrap
from onepiece.domain.entities import ShotSpec, Version
from onepiece.services.review_media.options import ReviewOptions
from onepiece.services.review_media.worker import ReviewJob, run_jobs
from onepiece.state.ingest_runs import IngestRunRegistry, RunRecorder
from onepiece.web.app import create_app
from tests.e2e.browser_support import (  # noqa: F401 - fixtures
    READ_TOKEN,
    WAIT_MS,
    PagesServer,
    Tab,
    chromium,
    make_scene,
    open_tab,
    pages_server,
    pages_settings,
)
from tests.review_media_support import write_movie
from tests.web_server import serve_app

pytestmark = pytest.mark.browser
BUCKET = "vendor-in"
CODES = ("FG_comp_v001", "FG_comp_v002")
CHARTS = ("chart-ingest-runs", "chart-ingest-volume", "chart-render", "chart-versions")


def _publish(server: PagesServer, tmp_path: Path) -> None:
    assert server.settings is not None
    container = bootstrap(server.settings)
    try:
        tracker, storage = container.tracker, container.storage
        storage.ensure_bucket(BUCKET)
        tracker.ensure_project("FG")
        tracker.ensure_hierarchy("FG", [ShotSpec("ep010", "ep010_sc02", "ep010_sc02_0010")])
        clip = write_movie(tmp_path / "clip.mov", frames=6)
        for code, status in zip(CODES, ("apr", "rev"), strict=True):
            key = f"FG/ep010/{code}.mov"
            storage.put_file(BUCKET, key, clip)
            tracker.create_versions(
                [
                    Version(
                        "FG",
                        code,
                        shot="ep010_sc02_0010",
                        status=status,
                        path=storage.uri(BUCKET, key),
                        metadata={"bucket": BUCKET},
                    )
                ]
            )
            job = ReviewJob("FG", code, BUCKET, key, movie=clip)
            assert run_jobs([job], storage, tracker, ReviewOptions())[0].status == "made"
    finally:
        container.close()


def _ingest_run(server: PagesServer, size: int) -> None:
    assert server.settings is not None
    registry = IngestRunRegistry(server.settings.ingest_registry_path)
    recorder = RunRecorder.start(registry, project="FG")
    recorder.finish("completed", {"bytes_planned": size, "files": 3}, {})


def _total(tab: Tab, chart: str) -> int:
    return int(tab.page.evaluate(f"() => document.getElementById('{chart}').dataset.total"))


def test_charts_draw_thumbnails_load_and_a_new_run_shows_live(
    pages_server: PagesServer,  # noqa: F811
    open_tab: Callable[..., Tab],  # noqa: F811
    make_scene: Callable[..., Path],  # noqa: F811
    tmp_path: Path,
) -> None:
    _publish(pages_server, tmp_path)
    _ingest_run(pages_server, 3 * 1024**3)
    pages_server.submit(make_scene(), tmp_path / "out", frames="1-2", chunk=2)
    tab = open_tab(pages_server.url + "/")
    page = tab.page
    page.wait_for_function("() => document.body.dataset.trends === 'ready'", timeout=WAIT_MS)

    for chart in CHARTS:  # each drew on a canvas of its own, with its axes
        assert page.locator(f"#{chart} .uplot canvas").count() == 1, chart
    assert _total(tab, "chart-ingest-runs") == 1
    assert _total(tab, "chart-versions") == 2
    assert _total(tab, "chart-render") == 1
    series = page.evaluate("() => document.getElementById('chart-versions').dataset.series")
    assert set(series.split(",")) == {"review", "approved"}

    page.wait_for_function(
        "() => { const imgs = [...document.querySelectorAll('#latest img')];"
        " return imgs.length === 2 && imgs.every(i => i.complete && i.naturalWidth > 0) }",
        timeout=WAIT_MS,
    )
    shown = page.locator("#latest li").evaluate_all("items => items.map(i => i.dataset.code)")
    assert sorted(shown) == sorted(CODES)
    canvas_has_ink = page.evaluate(
        "() => { const c = document.querySelector('#chart-ingest-volume canvas');"
        " const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
        " for (let i = 3; i < d.length; i += 4) if (d[i] > 0) return true; return false }"
    )
    assert canvas_has_ink

    _ingest_run(pages_server, 1024**3)  # the run feed's event redraws the charts
    page.wait_for_function(
        "() => document.getElementById('chart-ingest-runs').dataset.total === '2'",
        timeout=WAIT_MS,
    )
    assert tab.errors == []
    tab.close(screenshot="dashboard-trends")


def test_under_a_read_token_the_thumbnails_and_charts_load_with_it(
    isolated_env: Path,
    open_tab: Callable[..., Tab],  # noqa: F811
    tmp_path: Path,
) -> None:
    settings = pages_settings(read_token=READ_TOKEN)
    with serve_app(create_app(settings)) as live:
        _publish(PagesServer(live.url, settings), tmp_path)
        tab = open_tab(f"{live.url}/?token={READ_TOKEN}")
        page = tab.page
        page.wait_for_function("() => document.body.dataset.trends === 'ready'", timeout=WAIT_MS)
        page.wait_for_function(
            "() => { const imgs = [...document.querySelectorAll('#latest img')];"
            " return imgs.length === 2 && imgs.every(i => i.complete && i.naturalWidth > 0) }",
            timeout=WAIT_MS,
        )
        assert page.locator(".charts .uplot canvas").count() == len(CHARTS)
        link = page.locator("#latest a").first.get_attribute("href")
        assert link is not None and f"token={READ_TOKEN}" in link and "project=FG" in link
        assert tab.errors == []
        tab.close(screenshot="dashboard-trends-read-token")
