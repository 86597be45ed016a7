"""Kitsu-specific behaviour on a real zou: batched reads, retries, the mapping."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from onepiece.adapters.trackers.kitsu.session import KitsuSession
from onepiece.adapters.trackers.kitsu.tracker import KitsuTracker
from onepiece.adapters.trackers.shotgrid.retry import RetryPolicy
from onepiece.domain.entities import ShotSpec, Version
from onepiece.errors import TrackerRejected, TrackerUnavailable
from tests.freezable_proxy import FreezableProxy
from tests.integration.conftest import FAST_RETRIES
from tests.kitsu_server import KitsuServer, free_port


def tracker_on(server: KitsuServer) -> KitsuTracker:
    return KitsuTracker(
        KitsuSession(server.url, server.email, server.password, policy=FAST_RETRIES)
    )


def specs(count: int) -> list[ShotSpec]:
    return [
        ShotSpec(f"ep{i % 2 + 1:03d}", f"sc{i % 4:02d}", f"sh{i:04d}", cut_in=1001, cut_out=1010)
        for i in range(count)
    ]


def test_rereading_the_hierarchy_costs_the_same_whatever_the_number_of_shots(
    kitsu: KitsuServer,
) -> None:
    """A rerun reads each kind once: no request per existing shot."""
    tracker = tracker_on(kitsu)
    tracker.ensure_project("BT")
    costs = {}
    for count in (10, 60):
        tracker.ensure_hierarchy("BT", specs(count))
        before = tracker.session.requests
        again = tracker.ensure_hierarchy("BT", specs(count))
        costs[count] = tracker.session.requests - before
        assert again.created_count == 0 and len(again.existing["Shot"]) == count
    assert costs[10] == costs[60] <= 6


def test_creating_shots_is_one_request_per_new_entity_plus_the_reads(kitsu: KitsuServer) -> None:
    tracker = tracker_on(kitsu)
    tracker.ensure_project("BT")
    tracker.session.login()
    before = tracker.session.requests
    result = tracker.ensure_hierarchy("BT", specs(20))
    assert result.created_count == 2 + 4 + 20
    assert tracker.session.requests - before <= result.created_count + 6


def test_a_version_is_a_preview_revision_on_the_shots_task(kitsu: KitsuServer) -> None:
    import gazu

    tracker = tracker_on(kitsu)
    tracker.ensure_project("BT")
    tracker.create_versions(
        [Version("BT", "BT_sh0001_comp_v001", shot="sh0001", status="rev", checksum="xxh3:1")]
    )
    client = gazu.client.create_client(kitsu.url)
    gazu.log_in(kitsu.email, kitsu.password, client=client)
    project = next(p for p in gazu.project.all_projects(client=client) if p["code"] == "BT")
    [shot] = gazu.shot.all_shots_for_project(project, client=client)
    [task] = gazu.task.all_tasks_for_shot(shot, client=client)
    assert task["task_type_name"] == "Compositing"
    [preview] = gazu.files.get_all_preview_files_for_task(task, client=client)
    assert (preview["name"], preview["revision"]) == ("BT_sh0001_comp_v001", 1)
    assert preview["data"]["checksum"] == "xxh3:1"
    status = gazu.task.get_task_status(task["task_status_id"], client=client)
    assert status["short_name"] == "wfa"  # "rev" is Kitsu's Waiting For Approval


def test_a_wrong_password_is_rejected_once_without_retrying(kitsu: KitsuServer) -> None:
    session = KitsuSession(kitsu.url, kitsu.email, "wrong-password", policy=FAST_RETRIES)
    with pytest.raises(TrackerRejected) as caught:
        session.login()
    assert caught.value.context["kind"] == "auth"
    assert session.requests == 1


def test_a_server_that_is_not_there_is_unavailable_after_the_retries() -> None:
    url = f"http://127.0.0.1:{free_port()}/api"
    session = KitsuSession(url, "a@example.com", "pw", policy=FAST_RETRIES)
    with pytest.raises(TrackerUnavailable) as caught:
        session.login()
    assert session.requests == FAST_RETRIES.max_attempts
    assert "unreachable" in caught.value.message


def _movie(path: Path) -> Path:
    """A half-second 64x64 H.264 movie with a silent AAC track, as review movies have."""
    import av
    import numpy as np

    with av.open(str(path), "w") as container:
        video = container.add_stream("libx264", rate=24)
        video.width, video.height, video.pix_fmt = 64, 64, "yuv420p"
        audio = container.add_stream("aac", rate=48000)
        audio.layout = "stereo"
        for index in range(12):
            frame = np.full((64, 64, 3), index * 20, dtype=np.uint8)
            for packet in video.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        for start in range(0, 24000, 1024):
            silence = av.AudioFrame.from_ndarray(
                np.zeros((2, 1024), dtype=np.float32), format="fltp", layout="stereo"
            )
            silence.sample_rate, silence.pts = 48000, start
            for packet in audio.encode(silence):
                container.mux(packet)
        for stream in (video, audio):
            for packet in stream.encode():
                container.mux(packet)
    return path


def test_a_local_review_movie_becomes_the_preview_kitsu_plays(
    kitsu: KitsuServer, tmp_path: Path
) -> None:
    import gazu

    movie = _movie(tmp_path / "BT_sh0001_comp_v001.mov")
    tracker = tracker_on(kitsu)
    tracker.ensure_project("BT")
    [made] = tracker.create_versions(
        [Version("BT", "BT_sh0001_comp_v001", shot="sh0001", path=movie.as_uri(), size=7)]
    )
    client = gazu.client.create_client(kitsu.url)
    gazu.log_in(kitsu.email, kitsu.password, client=client)
    [preview] = gazu.client.fetch_all("preview-files", {"name": made.code}, client=client)
    deadline = time.monotonic() + 120
    while preview["status"] == "processing" and time.monotonic() < deadline:
        time.sleep(0.5)
        preview = gazu.files.get_preview_file(preview["id"], client=client)
    assert (preview["extension"], preview["status"]) == ("mp4", "ready")
    assert tracker.find_version("BT", made.code) == made  # our fields survive the encode


def test_a_hung_server_times_out_and_reads_are_retried(kitsu: KitsuServer) -> None:
    """gazu sets no HTTP timeout; the session's adapter does."""
    policy = RetryPolicy(max_attempts=2, deadline_seconds=30.0, backoff_seconds=0.01)
    with FreezableProxy("127.0.0.1", _port(kitsu)) as proxy:
        session = KitsuSession(
            proxy.url + "/api", kitsu.email, kitsu.password, policy=policy, timeout_seconds=3
        )
        session.login()
        proxy.freeze()
        before = session.requests
        with pytest.raises(TrackerUnavailable) as caught:
            session.get("list projects", "data/projects")
        assert session.requests - before == 2
        assert "ReadTimeout" in caught.value.message


def _port(server: KitsuServer) -> int:
    return int(server.url.rsplit(":", 1)[1].split("/")[0])


def test_a_create_whose_answer_is_lost_is_not_sent_twice(kitsu: KitsuServer) -> None:
    with FreezableProxy("127.0.0.1", _port(kitsu)) as proxy:
        session = KitsuSession(
            proxy.url + "/api", kitsu.email, kitsu.password, policy=FAST_RETRIES, timeout_seconds=3
        )
        session.login()
        proxy.lose_answers()
        with pytest.raises(TrackerUnavailable):
            session.post("create project", "data/projects", {"name": "Lost", "code": "LOST"})
    tracker = tracker_on(kitsu)
    assert [p.code for p in tracker.list_projects()].count("LOST") == 1
    assert tracker.ensure_project("LOST")[1] is False


def test_find_version_matches_the_code_exactly(kitsu: KitsuServer) -> None:
    """zou's name filter is ILIKE: "_" matches any character, case is ignored."""
    tracker = tracker_on(kitsu)
    tracker.ensure_project("BT")
    tracker.create_versions([Version("BT", "aXv001"), Version("BT", "B_V002")])
    assert tracker.find_version("BT", "a_v001") is None
    assert tracker.find_version("BT", "b_v002") is None
    found = tracker.find_version("BT", "B_V002")
    assert found is not None and found.code == "B_V002"
