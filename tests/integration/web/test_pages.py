"""The pages and /summary over TestClient: served, complete, small, and on the read policy."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from onepiece.atomicio import write_json
from onepiece.config import Settings
from onepiece.web.routers.pages import STATIC_DIR
from tests.ingest_support import record_runs
from tests.integration.web.conftest import READ_TOKEN, AppFactory, make_settings
from tests.tracker_double import RecordingTracker

PAGE_BUDGET = 200 * 1024  # bytes: a page and everything it loads


class _Assets(HTMLParser):
    """Collects what a page loads (scripts, stylesheets) and its ids, labels, captions."""

    def __init__(self) -> None:
        super().__init__()
        self.assets: list[str] = []
        self.ids: set[str] = set()
        self.label_for: set[str] = set()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag == "script" and a.get("src"):
            self.assets.append(str(a["src"]))
        if tag == "link" and a.get("rel") == "stylesheet":
            self.assets.append(str(a["href"]))
        if a.get("id"):
            self.ids.add(str(a["id"]))
        if tag == "label" and a.get("for"):
            self.label_for.add(str(a["for"]))


def parse(html: str) -> _Assets:
    parser = _Assets()
    parser.feed(html)
    return parser


def test_pages_are_html_with_their_assets_served_from_the_package(client: TestClient) -> None:
    for path in ("/", "/operations"):
        response = client.get(path)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        assert "script-src 'self'" in response.headers["content-security-policy"]
        assert response.headers["cache-control"] == "no-store"
        page = parse(response.text)
        assert {"/static/pages.css", "/static/live.js"} <= set(page.assets)
        for asset in page.assets:
            served = client.get(asset)
            assert served.status_code == 200, asset
            assert served.content == (STATIC_DIR / asset.removeprefix("/static/")).read_bytes()
        assert "<script>" not in response.text  # no inline script: the CSP forbids it


def test_static_content_types_and_unknown_asset_envelope(client: TestClient) -> None:
    assert client.get("/static/live.js").headers["content-type"].startswith("text/javascript")
    assert client.get("/static/pages.css").headers["content-type"].startswith("text/css")
    missing = client.get("/static/nope.js")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "route.not_found"


def test_each_page_with_its_assets_stays_under_200_kib(client: TestClient) -> None:
    for path in ("/", "/operations"):
        response = client.get(path)
        total = len(response.content) + sum(
            len(client.get(asset).content) for asset in parse(response.text).assets
        )
        assert total <= PAGE_BUDGET, (path, total)


def test_tables_have_captions_and_column_headers_and_inputs_have_labels(
    client: TestClient,
) -> None:
    for path in ("/", "/operations"):
        html = client.get(path).text
        page = parse(html)
        tables = html.count("<table")
        assert tables and html.count("<caption>") == tables
        headers = [a for tag, a in page.tags if tag == "th" and a.get("scope") == "col"]
        assert headers
        inputs = {str(a["id"]) for tag, a in page.tags if tag in ("input", "select")}
        assert inputs <= page.label_for, inputs - page.label_for
        assert any(a.get("aria-live") for _, a in page.tags)


def test_dashboard_first_paint_shows_the_figures_and_per_project_rows(
    client: TestClient, settings: Settings
) -> None:
    record_runs(
        settings.state_db_path.parent,
        [
            {"id": "r1", "status": "completed", "started_at": "2024-05-01T10:00:00Z"},
            {"id": "r2", "status": "failed", "started_at": "2024-05-01T11:00:00Z"},
        ],
    )
    html = client.get("/").text
    assert re.search(r'data-field="ingest.counts.total">2<', html)
    assert re.search(r'data-field="ingest.counts.failed">1<', html)
    assert re.search(r'data-field="status.shots">3<', html)
    # FG: 3 shots, 3 versions, one playlist with two clips and 4.5 s of review.
    row = re.search(r"<tr>\s*<th scope=\"row\">FG.*?</tr>", html, re.S)
    assert row is not None
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(0))
    assert cells[:2] == ["3", "3"]
    assert "final 1" in cells[2] and cells[-3:] == ["1", "2", "0:05"]


def test_summary_reads_ingest_runs_fresh_not_from_the_metrics_cache(
    client: TestClient, settings: Settings
) -> None:
    assert client.get("/summary").json()["ingest"]["counts"]["total"] == 0
    record_runs(  # as a CLI ingest in another process would
        settings.state_db_path.parent,
        [{"id": "r1", "status": "running", "started_at": "2024-05-01T10:00:00Z"}],
    )
    body = client.get("/summary").json()
    assert body["ingest"]["counts"] == {"total": 1, "successful": 0, "failed": 0, "running": 1}
    assert set(body) >= {"status", "ingest", "render", "review", "projects", "tracker"}
    assert body["tracker"] == {"backend": "local", "available": True, "message": None, "hint": None}


def test_unreachable_tracker_shows_an_alert_with_what_to_check(
    make_app: AppFactory, data_dir: Path, tracker: RecordingTracker
) -> None:
    app = make_app(make_settings(data_dir))
    with TestClient(app) as client:
        tracker.available = False
        app.state.container.dashboard.cache.flush()
        body = client.get("/summary").json()
        assert body["tracker"]["available"] is False
        assert "ONEPIECE_TRACKER_PATH" in body["tracker"]["hint"]
        html = client.get("/").text
    alert = re.search(r'<div id="tracker-alert"[^>]*>(.*?)</div>', html, re.S)
    assert alert is not None and "hidden" not in alert.group(0).split(">")[0]
    assert "Tracker unreachable" in alert.group(1) and "ONEPIECE_TRACKER_PATH" in alert.group(1)


def test_with_a_read_token_pages_ask_for_it_and_accept_it_in_the_query(
    make_app: AppFactory, data_dir: Path
) -> None:
    app: FastAPI = make_app(make_settings(data_dir, trafalgar={"read_token": READ_TOKEN}))
    with TestClient(app) as client:
        for path in ("/", "/operations"):
            refused = client.get(path)
            assert refused.status_code == 401
            assert refused.headers["content-type"].startswith("text/html")
            assert '<input id="token" name="token" type="password"' in refused.text
            assert "auth.missing_token" in refused.text
            wrong = client.get(path, params={"token": "wrong-token-value"})
            assert wrong.status_code == 401 and "auth.invalid_token" in wrong.text
            assert client.get(path, params={"token": READ_TOKEN}).status_code == 200
        assert client.get("/summary").status_code == 401
        headers = {"Authorization": f"Bearer {READ_TOKEN}"}
        assert client.get("/summary", headers=headers).status_code == 200
        # Static assets carry no data: always served, so the token page is styled.
        assert client.get("/static/pages.css").status_code == 200


def test_ingest_summary_is_parsed_once_per_registry_change(settings: Settings) -> None:
    from onepiece.services.dashboard.workload import IngestMemo

    memo = IngestMemo()
    path = settings.ingest_registry_path
    assert memo.summary(path).total == 0  # no registry yet
    write_json(path, {"runs": [{"id": "r1", "status": "completed"}]})
    first = memo.summary(path)
    assert first.total == 1 and memo.summary(path) is first  # unchanged file: same object
    write_json(path, {"runs": [{"id": "r1", "status": "completed"}, {"id": "r2"}]})
    assert memo.summary(path).total == 2
