"""The pages in headless Chromium: event-to-DOM delay and page weight.

Delay: render jobs run on the local farm (built-in renderer) behind
``onepiece serve``; every ``job.updated`` carries ``updated_at``, stamped by
the server just before it publishes. In the page, a MutationObserver stamps
each change of a job's row on /operations (and of the dashboard's job tile)
with ``performance.timeOrigin + performance.now()`` (the same wall clock).
Peer, same run, same page: the moment the page's own ``EventSource``
delivers each event, stamped by a listener registered before the page's
(an init script wraps the constructor): the transport's share. The ratio is
what the page itself adds on top. Goal: at most 500 ms from event to DOM.

Weight: the bytes of each page plus the scripts and stylesheets it loads
(and, reported apart, the JSON it fetches on load). Goal: at most 200 KiB.

``python -m bench.pages [--jobs 8] [--frames 12] [--no-write]``
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.report import update_section

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
TOKEN = "bench-pages-3e8a1c52"
PEER = "event delivered by the page's EventSource (peer)"

# Runs before the page's own scripts: the page's EventSource gets our listener first,
# so it stamps the moment the page's own connection delivers each event (the peer).
ARRIVAL_PROBE = """
window.__raw = [];
const NativeEventSource = window.EventSource;
window.EventSource = class extends NativeEventSource {
  constructor(url, options) {
    super(url, options);
    if (!String(url).includes('/jobs/stream')) return;
    const raw = (m) => {
      const d = JSON.parse(m.data);
      if (d.job) window.__raw.push([performance.timeOrigin + performance.now(), d.event, d.job]);
    };
    this.addEventListener('job.created', raw);
    this.addEventListener('job.updated', raw);
  }
};
"""

# Installed once loaded: stamps each DOM change of job rows and of the dashboard's jobs tile.
DOM_PROBE = """() => {
  const now = () => performance.timeOrigin + performance.now();
  window.__dom = [];
  const body = document.querySelector('#jobs tbody');
  if (body) new MutationObserver(() => {
    const t = now();
    for (const tr of body.querySelectorAll('tr[data-key^="job:"]')) {
      const done = tr.querySelector('td[data-col="done"]').textContent;
      window.__dom.push([t, tr.dataset.key.slice(4), tr.dataset.status, done.split(' / ')[0]]);
    }
  }).observe(body, {childList: true, subtree: true, characterData: true, attributes: true});
  const tile = document.querySelector('[data-field="render.jobs"]');
  if (tile) new MutationObserver(() => window.__dom.push([now(), 'tile', tile.textContent]))
    .observe(tile, {childList: true, subtree: true, characterData: true});
}"""


def start_server(data: Path) -> tuple[subprocess.Popen[str], str]:
    env = {**os.environ, "XDG_DATA_HOME": str(data), "XDG_CONFIG_HOME": str(data / "cfg"),
           "TRAFALGAR_DASHBOARD_TOKEN": TOKEN, "ONEPIECE_RENDER_POLL_SECONDS": "0.1",
           "ONEPIECE_RENDER_MAX_CONCURRENCY": "2"}  # fmt: skip
    proc = subprocess.Popen([sys.executable, "-m", "onepiece", "serve", "--port", "0"],
                            env=env, stderr=subprocess.PIPE, text=True, cwd=data)  # fmt: skip
    assert proc.stderr is not None
    for line in proc.stderr:
        match = re.search(r"listening on (http://\S+)", line)
        if match:
            url = match.group(1)
            break
    else:
        raise RuntimeError("onepiece serve did not start")
    for _ in range(300):
        try:
            if httpx.get(url + "/health", timeout=1).status_code == 200:
                return proc, url
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("onepiece serve did not answer /health")


def stamp(iso: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(iso).timestamp() * 1000


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure_delay(page: Any, dash: Any, url: str, work: Path, jobs: int, frames: int) -> dict:
    scene = work / "scene.json"
    scene.write_text(json.dumps({"width": 64, "height": 36, "delay": 0.05}))
    for tab in (page, dash):
        tab.evaluate(DOM_PROBE)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    ids = []
    for index in range(jobs):
        body = {"dcc": "builtin", "scene": str(scene), "frames": f"1-{frames}",
                "output": str(work / f"out{index}" / "f.####.png"), "chunk_size": 1}  # fmt: skip
        response = httpx.post(url + "/jobs", json=body, headers=headers, timeout=30)
        response.raise_for_status()
        ids.append(response.json()["id"])
        time.sleep(0.4)  # spaced submissions: each one is its own dashboard update
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        listed = httpx.get(url + "/jobs?limit=1000", timeout=30).json()["jobs"]
        if all(
            j["status"] in ("succeeded", "failed", "cancelled") for j in listed if j["id"] in ids
        ):
            break
        time.sleep(0.5)
    page.wait_for_timeout(1000)  # let the last events land
    raw, dom = page.evaluate("window.__raw"), page.evaluate("window.__dom")
    # Each job state the server published: first arrival (peer) and first DOM showing it.
    seen_raw: dict[tuple[str, str, str], float] = {}
    published: dict[tuple[str, str, str], float] = {}
    for t, _name, job in raw:
        key = (job["id"], job["status"], str(job["frame_counts"]["succeeded"]))
        seen_raw.setdefault(key, t)
        published.setdefault(key, stamp(job["updated_at"]))
    seen_dom: dict[tuple[str, str, str], float] = {}
    for t, job_id, status, done in dom:
        seen_dom.setdefault((job_id, status, done), t)
    matched = [k for k in published if k in seen_dom]
    page_ms = [seen_dom[k] - published[k] for k in matched]
    raw_ms = [seen_raw[k] - published[k] for k in matched]
    # Dashboard: the jobs tile reaching k after the k-th job.created.
    created = sorted(stamp(job["submitted_at"]) for _, name, job in raw if name == "job.created")
    tiles = [(t, int(v)) for t, _tile, v in dash.evaluate("window.__dom") if v.isdigit()]
    tile_ms = []
    for k, t0 in enumerate(created, start=1):
        hit = next((t for t, v in tiles if v >= k and t >= t0), None)
        if hit is not None:
            tile_ms.append(hit - t0)
    return {"events": len(published), "matched": len(matched), "page": page_ms,
            "raw": raw_ms, "tile": tile_ms}  # fmt: skip


def measure_weight(browser: Any, url: str) -> dict[str, tuple[int, int]]:
    weights = {}
    for path in ("/", "/operations"):
        page = browser.new_page()
        sizes: dict[str, int] = {}

        def seen(response: Any, sizes: dict[str, int] = sizes) -> None:
            kind = response.request.resource_type
            if kind in ("document", "script", "stylesheet", "fetch", "xhr"):
                sizes[f"{kind} {response.url}"] = len(response.body())

        page.on("response", seen)
        page.goto(url + path, wait_until="networkidle")
        page.close()
        assets = sum(
            v for k, v in sizes.items() if k.split()[0] in ("document", "script", "stylesheet")
        )
        data = sum(v for k, v in sizes.items() if k.split()[0] in ("fetch", "xhr"))
        weights[path] = (assets, data)
    return weights


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=8)
    parser.add_argument("--frames", type=int, default=12)
    parser.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        raise SystemExit("needs Debian's chromium at /usr/bin/chromium (make browser)")
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        work = Path(tmp)
        proc, url = start_server(work)
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            weights = measure_weight(browser, url)
            ops, dash = browser.new_page(), browser.new_page()
            for tab, path in ((ops, "/operations"), (dash, "/")):
                tab.add_init_script(ARRIVAL_PROBE)
                tab.goto(url + path)
                tab.wait_for_selector("#live-state[data-state='live']")
            result = measure_delay(ops, dash, url, work, args.jobs, args.frames)
        finally:
            browser.close()
            proc.terminate()
            proc.wait(timeout=30)
    report(args, result, weights)


def report(args: argparse.Namespace, r: dict, weights: dict[str, tuple[int, int]]) -> None:
    def row(name: str, values: list[float]) -> str:
        if not values:
            return f"| {name} | – | – | – | 0 |"
        return (f"| {name} | {statistics.median(values):.0f} | {pct(values, 0.95):.0f} | "
                f"{max(values):.0f} | {len(values)} |")  # fmt: skip

    p95 = pct(r["page"], 0.95) if r["page"] else float("inf")
    tile95 = pct(r["tile"], 0.95) if r["tile"] else float("inf")
    ratio = statistics.median(r["page"]) / max(statistics.median(r["raw"]), 0.1)
    heaviest = max(a for a, _ in weights.values())
    table = (
        "## Pages (`bench/pages.py`)\n\n"
        f"Headless Chromium (Debian) against `onepiece serve` on loopback, 2 busy cores; "
        f"{args.jobs} jobs x {args.frames} frames on the local farm (built-in renderer, "
        f"chunk 1, poller 0.1 s): {r['events']} published job states, {r['matched']} matched "
        "in the DOM. Delay is from the server's `updated_at` stamp (just before it publishes) "
        "to the page, in ms.\n\n"
        "| from job event to | median | p95 | max | samples |\n|---|---|---|---|---|\n"
        f"{row(PEER, r['raw'])}\n"
        f"{row('/operations job row updated', r['page'])}\n"
        f"{row('/ dashboard jobs tile updated (re-reads /summary)', r['tile'])}\n\n"
        f"Row update vs the event's delivery (median): **{ratio:.2f}x**. Goal <= 500 ms: "
        f"{'met' if p95 <= 500 and tile95 <= 500 else 'NOT met'} (p95 row {p95:.0f} ms, "
        f"p95 tile {tile95:.0f} ms).\n\n"
        "| page | HTML + CSS + JS (KiB) | JSON on load (KiB) |\n|---|---|---|\n"
        + "".join(f"| `{p}` | {a / 1024:.1f} | {d / 1024:.1f} |\n" for p, (a, d) in weights.items())
        + f"\nGoal <= 200 KiB per page with its assets: "
        f"{'met' if heaviest <= 200 * 1024 else 'NOT met'}."
    )
    print(table)
    if not args.no_write:
        update_section("pages", table)


if __name__ == "__main__":
    main()
