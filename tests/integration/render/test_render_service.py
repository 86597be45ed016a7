"""The render job service over the real store and the local farm."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from onepiece.adapters.farms.registry import FarmEntry, FarmRegistry
from onepiece.bootstrap import bootstrap
from onepiece.config import Settings
from onepiece.config.model import RenderSettings
from onepiece.domain.render import JobStatus
from onepiece.errors import AdapterUnavailable, FarmNotFound, JobNotFound, ValidationError
from onepiece.services.render.jobs import RenderJobService


def _settings(tmp_path: Path, **render: object) -> Settings:
    return Settings(data_dir=tmp_path / "data", render={"max_concurrency": 2, **render})


def _until(service: RenderJobService, job_id: str, done: Callable[[JobStatus], bool]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        service.poll_once()
        if done(service.get(job_id).status):
            return
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} stuck in {service.get(job_id).status}")


def test_submit_poll_and_events_from_queued_to_succeeded(
    tmp_path: Path, make_scene: Callable[..., Path]
) -> None:
    container = bootstrap(_settings(tmp_path))
    service = container.render_jobs

    feed = container.event_feed  # what serve runs: the event log onto the broker
    feed.prime()

    async def scenario() -> list[tuple[str, dict]]:
        sub, _ = container.broker.subscribe("jobs")
        request = service.request(
            dcc="builtin",
            scene=str(make_scene()),
            frames="1-6",
            output=str(tmp_path / "o.####.png"),
        )
        job = service.submit(request)
        assert job.status is JobStatus.queued and job.request.chunk_size == 10
        await asyncio.to_thread(_until, service, job.id, lambda s: s.finished)
        await asyncio.to_thread(feed.check)
        await asyncio.sleep(0.05)  # the fan-out runs on this loop
        events = []
        while sub.queue:
            event = await sub.get()
            events.append((event.name, event.data["job"]))
            assert event.data["job"]["id"] == job.id
        return events

    events = asyncio.run(scenario())
    assert events[0][0] == "job.created" and events[-1][0] == "job.updated"
    assert events[-1][1]["status"] == "succeeded"
    jobs = [data for _, data in events]
    assert all(a != b for a, b in zip(jobs, jobs[1:], strict=False))  # only real changes
    job = service.list_jobs()[0]
    assert job.status is JobStatus.succeeded and job.frames.succeeded == 6
    assert service.metrics() == {
        "jobs": 1, "by_status": {"completed": 1}, "by_farm": {"local": 1},  # documented name
    }  # fmt: skip
    container.close()


def test_jobs_submitted_by_another_process_are_announced_once(
    tmp_path: Path, make_scene: Callable[..., Path]
) -> None:
    server = bootstrap(_settings(tmp_path))  # the web service's container
    cli = bootstrap(_settings(tmp_path))  # a CLI process sharing the history file
    watcher = server.render_jobs
    feed = server.event_feed  # the server's tail of the state database's event log
    feed.prime()
    published: list[tuple[str, str]] = []

    async def scenario() -> None:
        sub, _ = server.broker.subscribe("jobs")
        job = cli.render_jobs.submit(
            cli.render_jobs.request(
                dcc="builtin", scene=str(make_scene()), frames="1", output=str(tmp_path / "o.#.png")
            )
        )
        watcher.poll_once()
        feed.check()
        watcher.poll_once()
        feed.check()
        await asyncio.sleep(0.05)  # the fan-out runs on this loop
        while sub.queue:
            event = await sub.get()
            published.append((event.name, event.data["job"]["id"]))
        assert published[0] == ("job.created", job.id)
        assert [name for name, _ in published].count("job.created") == 1

    asyncio.run(scenario())
    server.close()
    cli.close()


def test_cancel_goes_through_the_farm_and_is_recorded(
    tmp_path: Path, make_scene: Callable[..., Path]
) -> None:
    container = bootstrap(_settings(tmp_path))
    service = container.render_jobs
    job = service.submit(
        service.request(
            dcc="builtin", scene=str(make_scene(delay=5)), frames="1-10", output=str(tmp_path / "o")
        )
    )
    cancelled = service.cancel(job.id, "client changed the edit")
    assert cancelled.status is JobStatus.cancelled
    assert service.get(job.id).message == "cancelled: client changed the edit"
    assert service.cancel(job.id).status is JobStatus.cancelled  # idempotent
    container.close()


def test_bad_submissions_fail_before_reaching_the_history(tmp_path: Path) -> None:
    container = bootstrap(_settings(tmp_path))
    service = container.render_jobs
    with pytest.raises(FarmNotFound):
        service.submit(service.request(dcc="builtin", scene="s", frames="1", output="o", farm="x"))
    with pytest.raises(ValidationError, match="priority"):
        service.submit(
            service.request(dcc="builtin", scene="s", frames="1", output="o", priority=500)
        )
    with pytest.raises(JobNotFound):
        service.get("nope")
    assert service.list_jobs() == []
    container.close()


def test_a_farm_that_cannot_be_built_is_reported_unavailable_not_fatal(tmp_path: Path) -> None:
    def broken() -> object:
        raise ImportError("no module named opencue", name="opencue")

    local = bootstrap(_settings(tmp_path)).farms.get("local")
    farms = FarmRegistry(
        [FarmEntry("local", True, ""), FarmEntry("opencue", True, "")],
        {"local": lambda: local, "opencue": broken},  # type: ignore[dict-item]
    )
    with pytest.raises(AdapterUnavailable) as info:
        farms.get("opencue")
    assert "opencue" in (info.value.hint or "")
    described = {f["name"]: f for f in farms.describe()}
    assert described["local"]["available"] is True
    assert described["opencue"]["available"] is False
    store = bootstrap(_settings(tmp_path)).stores.render_jobs()
    service = RenderJobService(store, farms, RenderSettings(default_farm="opencue"))
    with pytest.raises(AdapterUnavailable):
        service.submit(service.request(dcc="builtin", scene="s", frames="1", output="o"))
