"""The /review page in headless Chromium: thumbnails load, the proxy plays and steps by
frame with its timecode, approve is refused without the token and works with it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from onepiece.bootstrap import bootstrap
from onepiece.domain.entities import ShotSpec, Version
from onepiece.services.review_media.options import ReviewOptions
from onepiece.services.review_media.worker import ReviewJob, run_jobs
from tests.e2e.browser_support import (  # noqa: F401 - fixtures
    ADMIN_TOKEN,
    WAIT_MS,
    PagesServer,
    Tab,
    chromium,
    open_tab,
    pages_server,
)
from tests.review_media_support import write_movie

pytestmark = pytest.mark.browser
BUCKET = "vendor-in"
CODE = "FG_ep010_sc02_0010_comp_v001"


def _publish(server: PagesServer, tmp_path: Path) -> None:
    """A Version with review media, in the server's own tracker and storage files."""
    assert server.settings is not None
    container = bootstrap(server.settings)
    try:
        tracker, storage = container.tracker, container.storage
        storage.ensure_bucket(BUCKET)
        tracker.ensure_project("FG")
        tracker.ensure_hierarchy("FG", [ShotSpec("ep010", "ep010_sc02", "ep010_sc02_0010")])
        clip = write_movie(tmp_path / "clip.mov", frames=24, timecode="01:00:00:00")
        key = f"FG/ep010/{CODE}.mov"
        storage.put_file(BUCKET, key, clip)
        tracker.create_versions(
            [
                Version(
                    "FG",
                    CODE,
                    shot="ep010_sc02_0010",
                    episode="ep010",
                    status="rev",
                    path=storage.uri(BUCKET, key),
                    metadata={"bucket": BUCKET},
                )
            ]
        )
        job = ReviewJob("FG", CODE, BUCKET, key, movie=clip)
        assert run_jobs([job], storage, tracker, ReviewOptions())[0].status == "made"
    finally:
        container.close()


def test_review_page_plays_steps_and_approves_with_the_token(
    pages_server: PagesServer,  # noqa: F811
    open_tab: Callable[..., Tab],  # noqa: F811
    tmp_path: Path,
) -> None:
    _publish(pages_server, tmp_path)
    tab = open_tab(f"{pages_server.url}/review?project=FG")
    page = tab.page
    page.wait_for_function(
        "() => { const i = document.querySelector('#review-versions img');"
        " return i && i.complete && i.naturalWidth > 0 }",
        timeout=WAIT_MS,
    )
    page.get_by_role("button", name=f"Play {CODE}").click()
    page.wait_for_function(
        "() => document.getElementById('player').readyState >= 3", timeout=WAIT_MS
    )
    duration = page.evaluate("() => document.getElementById('player').duration")
    assert duration == pytest.approx(1.0, abs=0.05)
    page.locator("body").press(".")
    page.locator("body").press(".")
    page.wait_for_function(
        "() => document.getElementById('timecode').value === '01:00:00:02'", timeout=WAIT_MS
    )
    assert page.evaluate("() => document.getElementById('frame-number').value") == "3"

    page.get_by_role("button", name="Approve").click()
    alert = page.locator("#review-result")
    alert.wait_for(state="visible", timeout=WAIT_MS)
    assert "auth" in alert.inner_text()
    tracker = bootstrap(pages_server.settings).tracker  # type: ignore[arg-type]
    assert tracker.find_version("FG", CODE).status == "rev"  # type: ignore[union-attr]

    page.locator("#admin-token").fill(ADMIN_TOKEN)
    page.get_by_role("button", name="Approve").click()
    page.wait_for_function(
        "() => document.getElementById('review-result').textContent.includes('status apr')",
        timeout=WAIT_MS,
    )
    assert tracker.find_version("FG", CODE).status == "apr"  # type: ignore[union-attr]
    assert page.locator(f"#review-versions li[data-code='{CODE}'] .badge").inner_text() == "apr"
    tab.shot("review-page-approved")
    assert tab.errors == []
