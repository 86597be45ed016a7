"""Issue 15: a CLI ingest on one machine, a web service on another, one
PostgreSQL: the run is recorded in the database and streams live on the
service's ``/runs/stream``; the JSON registry file is not written."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import httpx

from onepiece.samples import SampleDelivery
from tests.e2e.conftest import Run
from tests.ingest_support import data_dir
from tests.integration.render.sse_client import sse_messages
from tests.integration.state_db.conftest import _empty_pg, pg_url  # noqa: F401 - fixture
from tests.integration.state_db.test_events_between_workers import _until
from tests.integration.state_db.test_one_poller import WAIT_SECONDS, Serve


class RunWatcher(threading.Thread):
    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.ready = threading.Event()

    def run(self) -> None:
        try:
            with httpx.stream("GET", f"{self.url}/runs/stream", timeout=None) as response:
                for message in sse_messages(response):
                    if message.comment is not None:
                        continue
                    payload = message.json()
                    if payload["event"] == "runs.snapshot":
                        self.ready.set()
                    else:
                        self.events.append((payload["event"], payload["run"]))
        except httpx.HTTPError:
            return


def test_a_cli_ingest_streams_live_on_a_service_sharing_the_database(
    onepiece: Run,
    clean_delivery: SampleDelivery,
    isolated_env: Path,
    tmp_path: Path,
    pg_url: str,  # noqa: F811 - the fixture
) -> None:
    _empty_pg(pg_url)
    server = Serve(tmp_path, "web", pg_url)
    try:
        watcher = RunWatcher(server.url)
        watcher.start()
        assert watcher.ready.wait(WAIT_SECONDS)
        args = ["ingest", "--project", "demo", "--show-code", "FG", str(clean_delivery.folder)]
        if clean_delivery.manifest:
            args += ["--manifest", str(clean_delivery.manifest)]
        result = onepiece(*args, env={"ONEPIECE_DATABASE_URL": pg_url})
        assert result.returncode == 0, result.stderr

        def finished() -> bool:
            return any(
                name in ("run.created", "run.updated") and run.get("status") == "completed"
                for name, run in list(watcher.events)
            )

        _until(finished, "the service streams the finished run")
        runs = httpx.get(f"{server.url}/runs", timeout=30).json()["runs"]
        assert [run["status"] for run in runs] == ["completed"]
        assert {run["id"] for _, run in watcher.events} == {runs[0]["id"]}
        assert not (data_dir(isolated_env) / "ingest-runs.json").exists()
    finally:
        server.stop()


def test_a_cli_ingest_refuses_a_damaged_state_database_before_any_work(
    onepiece: Run, clean_delivery: SampleDelivery, isolated_env: Path, tmp_path: Path
) -> None:
    damaged = tmp_path / "state.db"
    damaged.write_bytes(b"SQLite format 3\x00" + bytes(84) + b"scribbled over")
    args = ["ingest", "--project", "demo", "--show-code", "FG", str(clean_delivery.folder)]
    result = onepiece(*args, env={"ONEPIECE_DATABASE_URL": f"sqlite:///{damaged}"})
    assert result.returncode == 3, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and str(damaged) in lines[0] and "Traceback" not in result.stderr
    assert damaged.read_bytes().endswith(b"scribbled over")
    assert not (data_dir(isolated_env) / "ingest-runs.json").exists()
