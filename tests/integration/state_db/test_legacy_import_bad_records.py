"""Old files with bad records, imported by ``onepiece db upgrade`` on both backends.

The rule (docs/database.md, "Carrying over existing data"): a file that cannot
be parsed at all stops the upgrade with one line naming it (exit 3) and
nothing of it is imported; a file that parses imports its valid records and
reports, per file, how many it skipped and why; every imported record was
validated first, so none of them breaks an API answer later.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from onepiece.config import Settings
from onepiece.domain.render import FrameCounts, JobRequest, JobStatus, RenderJob, event_job
from onepiece.services import database
from onepiece.state.db import schema
from onepiece.state.db.caches import SqlMediaFactsStore, SqlProjectRegistryStore
from onepiece.state.db.engine import create_state_engine
from onepiece.state.db.records import SqlDeliveryStore, SqlIngestRunStore, SqlReconcileStore
from onepiece.web.app import create_app
from onepiece.web.routers.jobs import JobOut
from onepiece.web.routers.runs import RunOut
from tests.legacy_render_history import RenderJobStore

AT = "2026-11-21T13:42:02+00:00"
FILES = {  # import name -> its file in the data directory
    "ingest_runs": "ingest-runs.json",
    "deliveries": "deliveries.json",
    "reconcile_results": "reconcile-results.json",
    "projects": "dashboard-projects.json",
    "media_durations": "cache/media-durations.json",
    "render_jobs": "render-jobs.db",  # a JSON history is recognised by its content
}
RUN = {"id": "ingest-1", "status": "completed", "started_at": AT}
DELIVERY = {"id": "d1", "project": "demo", "context": "c", "created_at": AT,
            "entry_count": 1, "total_bytes": 1, "package": "p"}  # fmt: skip
RESULT = {"project": "demo", "scope": "shots", "total": 3, "summary": {"total": 3}, "at": AT}
JOB = {"id": "j1", "status": "succeeded", "submitted_at": "2026-12-05T10:00:00+00:00"}


def _runs(*runs: Any) -> dict[str, Any]:
    return {"format": 1, "runs": list(runs)}


def _deliveries(*records: Any) -> dict[str, Any]:
    return {"deliveries": list(records)}


def _results(**entries: Any) -> dict[str, Any]:
    return {"projects": entries}


def _jobs(*jobs: Any) -> dict[str, Any]:
    return {"jobs": list(jobs)}


def _write(data_dir: Path, name: str, content: Any) -> Path:
    path = data_dir / FILES[name]
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


def _imported(db_url: str) -> set[str]:
    engine = create_state_engine(db_url)
    try:
        with engine.connect() as connection:
            return set(connection.scalars(sa.select(schema.imports.c.name)))
    finally:
        engine.dispose()


UNPARSABLE = {
    "runs_not_json": ("ingest_runs", '{"format": 1, "runs": ['),
    "runs_no_list": ("ingest_runs", {"format": 1}),
    "runs_list_at_top": ("ingest_runs", [{"id": "a"}]),
    "runs_format_2": ("ingest_runs", {"format": 2, "runs": [{"id": "ingest-1"}]}),
    "runs_format_text": ("ingest_runs", {"format": "1", "runs": []}),
    "runs_not_utf8": ("ingest_runs", b'{"format": 1, "runs": ["\xff"]}'),
    "runs_nested_too_deep": ("ingest_runs", "[" * 100_000),
    "deliveries_not_json": ("deliveries", '{"deliveries": ['),
    "deliveries_a_table": ("deliveries", {"deliveries": {"d1": DELIVERY}}),
    "reconcile_a_list": ("reconcile_results", {"projects": [1, 2]}),
    "projects_not_json": ("projects", "garbage"),
    "projects_version_2": ("projects", {"version": 2, "projects": []}),
    "render_not_json": ("render_jobs", "[garbage"),
    "render_jobs_a_number": ("render_jobs", {"jobs": 3}),
    "render_a_runs_file": ("render_jobs", _runs(RUN)),
    "render_empty": ("render_jobs", ""),
    "render_nested_too_deep": ("render_jobs", "[" * 100_000),
}


@pytest.mark.parametrize("case", list(UNPARSABLE))
def test_a_file_that_cannot_be_parsed_stops_the_upgrade_in_one_line(
    tmp_path: Path, db_url: str, case: str
) -> None:
    name, content = UNPARSABLE[case]
    data_dir = tmp_path / "data"
    path = _write(data_dir, name, content)
    env = {**os.environ, "ONEPIECE_DATA_DIR": str(data_dir), "ONEPIECE_DATABASE_URL": db_url}
    result = subprocess.run(
        [sys.executable, "-m", "onepiece", "db", "upgrade"],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 3, result.stderr
    assert len(lines) == 1 and str(path) in lines[0], result.stderr
    assert "bug" not in lines[0] and "unexpected" not in lines[0]
    assert name not in _imported(db_url)  # the next upgrade, once it is fixed, imports it


# fmt: off
# name -> (source, file content, records imported, records skipped, a reason's words)
PARTIAL: dict[str, tuple[str, Any, int, int, str]] = {
    "runs_partial": ("ingest_runs", _runs(RUN, {"status": "x"}, "junk", 5, {"id": ""}), 1, 4, "id"),
    "runs_bad_types": ("ingest_runs", _runs({"id": "r", "status": 7, "started_at": 12345,
                       "counts": "lots", "pid": "abc"}), 0, 1, "status"),
    "runs_id_a_list": ("ingest_runs", _runs({"id": ["x"], "status": "completed"}), 0, 1, "id"),
    "runs_unknown_status": ("ingest_runs", _runs(RUN, {**RUN, "id": "r2", "status": "paused"}),
                            1, 1, "status"),
    "runs_unreadable_time": ("ingest_runs", _runs({**RUN, "started_at": "yesterday"}), 0, 1,
                             "started_at"),
    "runs_counts_text": ("ingest_runs", _runs({**RUN, "counts": {"files": "3"}}), 0, 1, "counts"),
    "runs_pid_too_big": ("ingest_runs", _runs({**RUN, "pid": 2**40}), 0, 1, "pid"),
    "runs_id_too_long": ("ingest_runs", _runs({**RUN, "id": "x" * 300}), 0, 1, "id"),
    "runs_duplicate": ("ingest_runs", _runs(RUN, {**RUN, "status": "failed"}), 1, 1, "duplicate"),
    "runs_nul_text": ("ingest_runs", _runs({**RUN, "project": "a\x00b"}), 0, 1, "NUL"),
    "runs_pid_started_huge": ("ingest_runs", _runs({**RUN, "pid_started": 10**400}), 0, 1,
                              "pid_started"),
    "runs_not_a_number": ("ingest_runs", _runs({**RUN, "summary": {"x": float("nan")}}), 0, 1,
                          "finite"),
    "deliveries_missing_fields": ("deliveries", _deliveries({"id": "d1", "project": "demo"}),
                                  0, 1, "missing"),
    "deliveries_partial": ("deliveries", _deliveries(DELIVERY, {"id": "d2"}, "junk"), 1, 2, "d2"),
    "deliveries_bad_types": ("deliveries", _deliveries({**DELIVERY, "id": 5, "project": ["p"],
                             "created_at": None, "entry_count": "x"}), 0, 1, "id"),
    "deliveries_negative": ("deliveries", _deliveries({**DELIVERY, "entry_count": -1}), 0, 1,
                            "entry_count"),
    "deliveries_too_big": ("deliveries", _deliveries({**DELIVERY, "total_bytes": 2**70}), 0, 1,
                           "total_bytes"),
    "deliveries_unreadable_time": ("deliveries", _deliveries({**DELIVERY, "created_at": "soon"}),
                                   0, 1, "created_at"),
    "deliveries_versions_text": ("deliveries", _deliveries({**DELIVERY, "versions": "v1"}), 0, 1,
                                 "versions"),
    "reconcile_total_text": ("reconcile_results", _results(a={**RESULT, "total": "many"}), 0, 1,
                             "total"),
    "reconcile_summary_list": ("reconcile_results", _results(a={**RESULT, "summary": [1]}), 0, 1,
                               "summary"),
    "reconcile_total_too_big": ("reconcile_results", _results(a={**RESULT, "total": 2**40}),
                                0, 1, "total"),
    "reconcile_unreadable_time": ("reconcile_results", _results(a={**RESULT, "at": "never"}),
                                  0, 1, "at"),
    "reconcile_partial": ("reconcile_results", _results(a=RESULT, b=5, c={"project": "x"}),
                          1, 2, "object"),
    "projects_partial": ("projects", {"projects": [{"code": "demo"}, {"name": "nocode"}, 3],
                                      "synced_at": 5}, 1, 3, "code"),
    "projects_unreadable_sync": ("projects", {"projects": [{"code": "demo"}],
                                 "synced_at": "yesterday"}, 1, 1, "synced_at"),
    "projects_bad_flag": ("projects", {"projects": [{"code": "demo", "configured": "yes"}]},
                          0, 1, "configured"),
    "media_too_big": ("media_durations", {"/a": {"size": 10**30, "mtime_ns": 1, "seconds": 1}},
                      0, 1, "size"),
    "media_bad_seconds": ("media_durations", {"/a": {"size": 1, "mtime_ns": 1, "seconds": "x"},
                                              "/b": {"size": 1, "mtime_ns": 1, "seconds": 2.0}},
                          1, 1, "seconds"),
    "media_seconds_huge": ("media_durations", {"/a": {"size": 1, "mtime_ns": 1,
                           "seconds": 10**400}}, 0, 1, "seconds"),
    "media_unreadable": ("media_durations", "[[[", 0, 0, "only a cache"),
    "render_unreadable_time": ("render_jobs", _jobs({**JOB, "submitted_at": "yesterday"}), 0, 1,
                               "submitted_at"),
    "render_priority_text": ("render_jobs", _jobs({**JOB, "request": {"priority": "high"}}),
                             0, 1, "priority"),
    "render_partial": ("render_jobs", _jobs(JOB, {"status": "succeeded"},
                       {**JOB, "id": "j3", "status": "bogus"}), 1, 2, "id"),
    "render_duplicate": ("render_jobs", _jobs(JOB, {**JOB, "status": "failed"}), 1, 1,
                         "duplicate"),
    "render_not_an_object": ("render_jobs", [JOB, 5], 1, 1, "object"),
    "render_counts_text": ("render_jobs", _jobs({**JOB, "frame_counts": {"total": "ten"}}),
                           0, 1, "frame_counts"),
    "render_request_text": ("render_jobs", _jobs({**JOB, "request": "x"}), 0, 1, "request"),
    "render_id_a_number": ("render_jobs", _jobs({**JOB, "id": 42}), 0, 1, "id"),
    "render_no_chunks": ("render_jobs", _jobs({**JOB, "chunk_size": 0}), 0, 1, "chunk_size"),
    "render_no_status": ("render_jobs", _jobs({"id": "j1", "submitted_at": AT}), 0, 1, "status"),
    "render_no_time": ("render_jobs", _jobs({"id": "j1", "status": "failed"}), 0, 1,
                       "submitted_at"),
    "render_a_table": ("render_jobs", {"a": JOB}, 1, 0, ""),
    "render_no_jobs": ("render_jobs", {}, 0, 0, ""),
}
# fmt: on


def _settings(tmp_path: Path, db_url: str) -> Settings:
    return Settings(data_dir=tmp_path / "data", database={"url": db_url})


def _report(settings: Settings, name: str) -> dict[str, Any]:
    reports = database.upgrade(settings)["imports"]
    return next(r for r in reports if r["name"] == name)


def _read_back(db_url: str) -> None:
    """Every store and API answer reads what was imported (nothing breaks them)."""
    engine = create_state_engine(db_url)
    try:
        for run in SqlIngestRunStore(engine).runs():
            RunOut.model_validate(run)
        SqlDeliveryStore(engine).list()
        SqlReconcileStore(engine).read()
        SqlReconcileStore(engine).total()
        SqlProjectRegistryStore(engine).load()
        SqlMediaFactsStore(engine).get("/a")
        with engine.connect() as connection:
            rows = connection.execute(sa.select(schema.render_jobs)).all()
        for row in rows:
            job = RenderJob.from_dict(row.data)
            JobOut.model_validate(job.to_dict())
            assert (row.id, row.status, row.submitted_at) == (
                job.id, job.status.value, job.submitted_at.timestamp()
            )  # fmt: skip
    finally:
        engine.dispose()


@pytest.mark.parametrize("case", list(PARTIAL))
def test_the_valid_records_are_imported_and_the_others_reported(
    tmp_path: Path, db_url: str, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    name, content, imported, skipped, why = PARTIAL[case]
    path = _write(tmp_path / "data", name, content)
    report = _report(_settings(tmp_path, db_url), name)
    assert (report["imported"], report["skipped"]) == (imported, skipped), report
    assert why in " ".join(report["skip_reasons"]), report
    if report["skip_reasons"]:  # said where a person sees it: the log (stderr, serve's log)
        assert any(str(path) in m and "skipped" in m for m in caplog.messages), caplog.messages
    _read_back(db_url)
    done = {d["name"]: d for d in database.status(_settings(tmp_path, db_url))["imports_done"]}
    assert done[name]["records"] == imported and done[name]["skipped"] == skipped


def test_the_cli_reports_the_skipped_records_naming_the_file(tmp_path: Path, db_url: str) -> None:
    data_dir = tmp_path / "data"
    path = _write(data_dir, "ingest_runs", PARTIAL["runs_partial"][1])
    env = {**os.environ, "ONEPIECE_DATA_DIR": str(data_dir), "ONEPIECE_DATABASE_URL": db_url}
    result = subprocess.run(
        [sys.executable, "-m", "onepiece", "db", "upgrade", "--format", "json"],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    runs = next(r for r in json.loads(result.stdout)["imports"] if r["name"] == "ingest_runs")
    assert (runs["imported"], runs["skipped"]) == (1, 4)
    warned = [line for line in result.stderr.splitlines() if str(path) in line]
    assert len(warned) == 1 and "skipped 4" in warned[0], result.stderr


def test_an_imported_json_history_keeps_every_job_field(tmp_path: Path, db_url: str) -> None:
    at = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)
    request = JobRequest("blender", "/s.blend", "1-100", "/o.####.exr", "local", 70, 5, "ana")
    frames = FrameCounts(100, 10, 5, 80, 3, 1, 1)
    full = RenderJob("j-api", request, "local-9", JobStatus.running, at, at.replace(hour=11),
                     frames, "chunk 3 failed", at.replace(minute=1), None, "render01-3c9a",
                     "stop it")  # fmt: skip
    done = RenderJob("j-event", request, "local-8", JobStatus.succeeded, at, at.replace(hour=12),
                     FrameCounts(100, succeeded=100), None, at.replace(minute=2),
                     at.replace(hour=12))  # fmt: skip
    _write(tmp_path / "data", "render_jobs", [full.to_dict(), event_job(done)])
    report = _report(_settings(tmp_path, db_url), "render_jobs")
    assert (report["imported"], report["skipped"]) == (2, 0)
    engine = create_state_engine(db_url)
    with engine.connect() as connection:
        table = schema.render_jobs
        rows = connection.execute(sa.select(table).order_by(table.c.seq)).all()
    engine.dispose()
    assert [RenderJob.from_dict(row.data) for row in rows] == [full, done]


def test_a_numeric_submit_time_is_read_as_epoch_seconds(tmp_path: Path, db_url: str) -> None:
    _write(tmp_path / "data", "render_jobs", _jobs({**JOB, "submitted_at": 1764900000}))
    assert _report(_settings(tmp_path, db_url), "render_jobs")["imported"] == 1
    engine = create_state_engine(db_url)
    with engine.connect() as connection:
        row = connection.execute(sa.select(schema.render_jobs)).one()
    engine.dispose()
    assert row.submitted_at == 1764900000.0  # not "now": retention still applies to it
    _read_back(db_url)


def test_a_bad_row_of_a_sqlite_history_is_skipped(tmp_path: Path, db_url: str) -> None:
    path = tmp_path / "data" / FILES["render_jobs"]
    path.parent.mkdir(parents=True)
    store = RenderJobStore(path, history_limit=100, retention_hours=1e6)
    at = datetime.now(UTC).replace(microsecond=0)
    request = JobRequest("builtin", "/s.json", "1-10", "/o.####.png")
    for n in range(3):
        store.add(RenderJob(f"job-{n}", request, f"local-{n}", JobStatus.failed, at, at))
    store.close()
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE jobs SET data = 'garbage' WHERE id = 'job-1'")
        connection.execute("UPDATE jobs SET data = json_set(data, '$.status', 'odd') "
                           "WHERE id = 'job-2'")  # fmt: skip
    connection.close()
    report = _report(_settings(tmp_path, db_url), "render_jobs")
    assert (report["imported"], report["skipped"]) == (1, 2), report
    assert "job-1" in report["skip_reasons"][0] and "job-2" in report["skip_reasons"][1]
    _read_back(db_url)


def test_runs_of_the_wrong_types_never_reach_the_api(tmp_path: Path, db_url: str) -> None:
    bad = {"id": "ingest-2", "status": 7, "started_at": AT}
    _write(tmp_path / "data", "ingest_runs", _runs(RUN, bad))
    with TestClient(create_app(_settings(tmp_path, db_url))) as client:
        answer = client.get("/runs")
        assert answer.status_code == 200, answer.text
        assert [run["id"] for run in answer.json()["runs"]] == ["ingest-1"]
        assert client.get("/jobs").status_code == 200
