"""The review movie plays in a browser: headless Chromium loads it to readyState >= 3."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from fractions import Fraction
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from onepiece.services.review_media.movies import make_movie
from onepiece.services.review_media.options import ReviewOptions
from onepiece.services.review_media.sequences import make_sequence
from tests.e2e.browser_support import ARTIFACTS, WAIT_MS, chromium  # noqa: F401 - fixture
from tests.review_media_support import exr_sequence, write_movie

pytestmark = pytest.mark.browser


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A loopback HTTP server over a scratch folder."""
    handler = functools.partial(_Quiet, directory=str(tmp_path))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield tmp_path, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _play(chromium: Any, url: str, name: str) -> dict[str, float]:  # noqa: F811
    page = chromium.new_page()
    try:
        page.goto(f"{url}/{name}.html")
        page.wait_for_function(
            "() => { const v = document.querySelector('video'); return v && v.readyState >= 3 }",
            timeout=WAIT_MS,
        )
        state: dict[str, float] = page.evaluate(
            "() => { const v = document.querySelector('video');"
            " return {readyState: v.readyState, duration: v.duration,"
            " width: v.videoWidth, height: v.videoHeight, error: v.error ? v.error.code : 0} }"
        )
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"review_media_{name}.png"))
        return state
    finally:
        page.close()


def _page(folder: Path, name: str, movie: Path) -> None:
    movie.rename(folder / f"{name}.mp4")
    (folder / f"{name}.html").write_text(
        f'<!doctype html><video src="{name}.mp4" preload="auto" muted></video>', encoding="utf-8"
    )


def test_a_movie_proxy_plays_in_chromium_with_its_duration(
    chromium: Any,  # noqa: F811
    served: tuple[Path, str],
) -> None:
    folder, url = served
    source = write_movie(folder / "clip.mov", codec="prores_ks", frames=48, fps=Fraction(24))
    made = make_movie(source, folder, "clip", ReviewOptions())
    assert made.proxy is not None
    _page(folder, "clip", made.proxy)
    state = _play(chromium, url, "clip")
    assert state["error"] == 0 and state["readyState"] >= 3
    assert state["duration"] == pytest.approx(2.0, abs=0.05)
    assert (state["width"], state["height"]) == (320, 180)


def test_an_exr_sequence_proxy_plays_in_chromium_with_its_duration(
    chromium: Any,  # noqa: F811
    served: tuple[Path, str],
) -> None:
    folder, url = served
    frames = exr_sequence(folder / "src", "plate", [998, 999, 1000, 1002], padding=3)
    made = make_sequence(frames, folder, "plate", Fraction(25), ReviewOptions())
    assert made.proxy is not None
    _page(folder, "plate", made.proxy)
    state = _play(chromium, url, "plate")
    assert state["error"] == 0 and state["readyState"] >= 3
    assert state["duration"] == pytest.approx(5 / 25, abs=0.02)
