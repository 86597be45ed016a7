"""kill -9 of concurrent submitters: no acknowledged job is lost, on either backend."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

from sqlalchemy.engine import Engine

from onepiece.state.db.render_history import SqlRenderJobStore

# A submitter process: prints each job id only after add() returned
# (= committed, acknowledged), as fast as it can, until it is killed.
SUBMITTER = textwrap.dedent(
    """
    import sys
    from datetime import UTC, datetime
    from onepiece.domain.render import FrameCounts, JobRequest, JobStatus, RenderJob
    from onepiece.state.db.engine import create_state_engine
    from onepiece.state.db.render_history import SqlRenderJobStore

    store = SqlRenderJobStore(
        create_state_engine(sys.argv[1]), history_limit=1_000_000, retention_hours=24
    )
    request = JobRequest("builtin", "/s.json", "1-10", "/o.####.png", "mock")
    n = 0
    while True:
        now = datetime.now(UTC)
        job_id = f"{sys.argv[2]}-{n}"
        store.add(RenderJob(job_id, request, job_id, JobStatus.queued, now, now, FrameCounts(10)))
        print(job_id, flush=True)
        n += 1
    """
)
SUBMITTERS = 3
ACKNOWLEDGED_EACH = 100


def test_no_acknowledged_submission_is_lost_on_sigkill(engine: Engine, db_url: str) -> None:
    SqlRenderJobStore(engine, history_limit=1_000_000, retention_hours=24)  # counters exist
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", SUBMITTER, db_url, f"w{n}"], stdout=subprocess.PIPE, text=True
        )
        for n in range(SUBMITTERS)
    ]
    acknowledged: list[str] = []
    for process in processes:
        assert process.stdout is not None
        for count, line in enumerate(process.stdout, start=1):
            acknowledged.append(line.strip())
            if count == ACKNOWLEDGED_EACH:
                break
    for process in processes:  # all still submitting
        os.kill(process.pid, signal.SIGKILL)
    for process in processes:
        process.wait()
        assert process.returncode == -signal.SIGKILL
    store = SqlRenderJobStore(engine, history_limit=1_000_000, retention_hours=24)
    missing = [job_id for job_id in acknowledged if store.get(job_id) is None]
    assert missing == []
    assert store.stats().size == store.counts()["jobs"] >= len(acknowledged)  # counter agrees
