"""Memory of 1,000 queued local-farm jobs: queued work costs a record, not a process.

Submits 1,000 jobs through ``RenderJobService.submit`` (the real history and
local farm, ``max_concurrency`` 2) with a scene slow enough that nearly all
stay queued, then counts the runner processes of that farm and their resident
memory (VmRSS from /proc), the submitting process's own growth, and the bytes
the queue takes on disk. "One runner per job" is what the farm did before
(one process per submitted job): measured runners' mean RSS times the jobs.
Everything is cancelled afterwards.
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from pathlib import Path

from bench.report import update_section
from onepiece.adapters.farms.local.farm import LocalFarm
from onepiece.adapters.farms.registry import FarmEntry, FarmRegistry
from onepiece.config.model import RenderSettings
from onepiece.services.render.jobs import RenderJobService
from onepiece.state.db.engine import create_state_engine
from onepiece.state.db.migrate import upgrade
from onepiece.state.db.render_history import SqlRenderJobStore

RUNNER = "onepiece.adapters.farms.local.runner"


def _rss_kib(pid: int | str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _runners(root: Path) -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            args = (proc / "cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
        if RUNNER in args and any(a.startswith(str(root)) for a in args):
            found.append(int(proc.name))
    return found


def _disk_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def run(jobs: int, concurrency: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        scene = work / "scene.json"
        scene.write_text(json.dumps({"width": 16, "height": 8, "delay": 30}))
        root = work / "farm"
        farm = LocalFarm(root, max_concurrency=concurrency)
        farms = FarmRegistry([FarmEntry("local", True, "")], {"local": lambda: farm})
        engine = create_state_engine(f"sqlite:///{work / 'state.db'}")
        upgrade(engine)
        store = SqlRenderJobStore(engine, history_limit=100_000, retention_hours=24)
        service = RenderJobService(store, farms, RenderSettings())
        before = _rss_kib("self")
        started = time.perf_counter()
        ids = [
            service.submit(service.request(dcc="builtin", scene=str(scene), frames="1",
                                           output=str(work / "o" / f"{n}.#.png"))).id
            for n in range(jobs)
        ]  # fmt: skip
        elapsed = time.perf_counter() - started
        time.sleep(2.0)  # let started runners reach their steady state
        pids = _runners(root)
        runner_kib = [_rss_kib(pid) for pid in pids]
        result = {
            "jobs": jobs,
            "submit_s": elapsed,
            "runners": len(pids),
            "runners_mib": sum(runner_kib) / 1024,
            "runner_mean_mib": (sum(runner_kib) / len(runner_kib) / 1024) if runner_kib else 0,
            "submitter_growth_mib": (_rss_kib("self") - before) / 1024,
            "submitter_peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "disk_kib": _disk_bytes(root) / 1024,
        }
        for job_id in ids:
            service.cancel(job_id, "benchmark over")
        service.close()
        farms.close()
        return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=1_000)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    args = parser.parse_args()
    r = run(args.jobs, args.concurrency)
    per_job = r["runner_mean_mib"] * r["jobs"]
    table = "\n".join([
        "## Queued render jobs (`bench/render_queue.py`)",
        "",
        f"{r['jobs']:,} local-farm jobs submitted through `RenderJobService.submit` "
        f"(`max_concurrency` {args.concurrency}, a scene slow enough that they stay "
        "queued), on this shared 2-core machine.",
        "",
        "| measure | value |",
        "|---|---|",
        f"| runner processes | {r['runners']} |",
        f"| their resident memory | {r['runners_mib']:.0f} MiB |",
        f"| one runner per job, as before (mean runner RSS x jobs) | {per_job:,.0f} MiB |",
        f"| submitting process growth (peak RSS) | {r['submitter_growth_mib']:.0f} MiB "
        f"({r['submitter_peak_mib']:.0f} MiB) |",
        f"| queue and job folders on disk | {r['disk_kib'] / 1024:.1f} MiB |",
        f"| submit time for all jobs | {r['submit_s']:.1f} s |",
    ])  # fmt: skip
    print(table)
    if not args.no_write:
        update_section("render_queue", table)


if __name__ == "__main__":
    main()
