"""Issue 21 item 12: after ``kill -9`` of the server during local-farm submits,
the restarted server lists (and can cancel) every job folder and runner the
local farm left, and removes half-written folders; it says so in its log."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from onepiece.adapters.farms.local.farm import LocalFarm
from onepiece.domain.render import JobRequest
from tests.integration.render.local_farm_support import runner_pids

TOKEN = "adopt-admin-47b0e2"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}


def _start(data_dir: Path) -> tuple[subprocess.Popen[str], str, list[str]]:
    env = {**os.environ, "TRAFALGAR_DASHBOARD_TOKEN": TOKEN, "ONEPIECE_DATA_DIR": str(data_dir),
           "ONEPIECE_RENDER_POLL_SECONDS": "0.2"}  # fmt: skip
    process = subprocess.Popen(
        [sys.executable, "-m", "onepiece", "serve", "--port", "0"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stderr is not None
    lines: list[str] = []
    for line in process.stderr:
        lines.append(line)
        if "listening on" in line:
            break
    found = re.search(r"listening on (http://127\.0\.0\.1:\d+)", "".join(lines))
    assert found, "".join(lines)
    return process, found.group(1), lines


def _submit_until_killed(url: str, scene: Path, out: Path, acked: list[str]) -> None:
    body = {"dcc": "builtin", "scene": str(scene), "frames": "1-3", "chunk_size": 1,
            "output": str(out / "f.####.png")}  # fmt: skip
    while True:
        try:
            answer = httpx.post(f"{url}/jobs", json=body, headers=ADMIN, timeout=10)
        except httpx.HTTPError:
            return  # the server is gone
        if answer.status_code == 201:
            acked.append(answer.json()["id"])


def _listed(url: str) -> dict[str, dict[str, Any]]:
    jobs = httpx.get(f"{url}/jobs", params={"limit": 1000}, timeout=10).json()["jobs"]
    return {job["farm_job_id"]: job for job in jobs}


def test_the_restarted_server_adopts_every_folder_and_runner_the_farm_left(
    isolated_env: Path, tmp_path: Path, make_scene: Callable[..., Path]
) -> None:
    data_dir = tmp_path / "data"
    farm_root = data_dir / "farm" / "local"
    scene = make_scene(delay=0.5)
    process, url, _ = _start(data_dir)
    acked: list[str] = []
    submitters = [
        threading.Thread(target=_submit_until_killed, args=(url, scene, tmp_path / "o", acked))
        for _ in range(4)
    ]
    for thread in submitters:
        thread.start()
    while len(acked) < 20:
        time.sleep(0.01)
    os.kill(process.pid, signal.SIGKILL)  # mid-submit
    process.wait()
    for thread in submitters:
        thread.join(30)
    # Left exactly as a submit cut short between the farm and the history leaves it:
    # a queued folder no history knows, and a folder without its state file.
    orphan = LocalFarm(farm_root).submit(
        JobRequest("builtin", str(scene), "1-2", str(tmp_path / "orphan" / "f.#.png"))
    )
    half = farm_root / "jobs" / "local-halfwritten1"
    half.mkdir()
    (half / "job.json").write_text(json.dumps({"farm_job_id": half.name}))

    process, url, before = _start(data_dir)
    try:
        assert any("adopted" in line for line in before), before
        assert not half.exists()  # stopped and cleaned
        listed = _listed(url)
        folders = {p.name for p in (farm_root / "jobs").iterdir()}
        assert folders <= set(listed), folders - set(listed)  # every folder is a listed job
        assert orphan in listed and set(acked) <= {j["id"] for j in listed.values()}
        for job in listed.values():  # and every one of them can be cancelled
            answer = httpx.post(f"{url}/jobs/{job['id']}/cancel", headers=ADMIN, timeout=60)
            assert answer.status_code == 200, answer.text
        final = _listed(url)
        assert all(j["status"] in ("cancelled", "succeeded") for j in final.values()), final
        deadline = time.monotonic() + 30
        while runner_pids(farm_root) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert runner_pids(farm_root) == []  # no runner left working on anything
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)
