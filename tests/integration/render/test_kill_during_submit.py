"""kill -9 while submitting: every acknowledged job is in the history afterwards."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from onepiece.state.render_jobs import RenderJobStore

# A real submitter: the render job service on the mock farm, printing each id
# only after submit() returned (= acknowledged), as fast as it can.
SUBMITTER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from onepiece.adapters.farms.registry import FarmEntry, FarmRegistry
    from onepiece.adapters.farms.mock import MockFarm
    from onepiece.config.model import RenderSettings
    from onepiece.services.render.jobs import RenderJobService
    from onepiece.state.render_jobs import RenderJobStore

    store = RenderJobStore(Path(sys.argv[1]), history_limit=1_000_000, retention_hours=24)
    farm = MockFarm()
    farms = FarmRegistry([FarmEntry("mock", True, "")], {"mock": lambda: farm})
    service = RenderJobService(store, farms, None, RenderSettings(default_farm="mock"))
    while True:
        job = service.submit(service.request(dcc="builtin", scene="s", frames="1-10", output="o"))
        print(job.id, flush=True)
    """
)


def test_no_acknowledged_submission_is_lost_on_sigkill(tmp_path: Path) -> None:
    path = tmp_path / "render-jobs.db"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen(
        [sys.executable, "-c", SUBMITTER, str(path)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    acknowledged = []
    for line in proc.stdout:
        acknowledged.append(line.strip())
        if len(acknowledged) == 300:
            break
    os.kill(proc.pid, signal.SIGKILL)  # mid-stream: it is still submitting
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    store = RenderJobStore(path, history_limit=1_000_000, retention_hours=24)
    missing = [job_id for job_id in acknowledged if store.get(job_id) is None]
    assert missing == []
    assert store.stats().size >= len(acknowledged)  # the counter survived too
