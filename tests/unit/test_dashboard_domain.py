"""Pure dashboard rules: ingest summaries, review figures, project dashboards, statuses."""

from __future__ import annotations

from datetime import UTC, datetime

from onepiece.domain.dashboard import (
    IngestRunRecord,
    ReviewProject,
    review_for_project,
    review_totals,
    summarise_ingest,
    summarise_render,
)
from onepiece.domain.entities import Episode, Playlist, Shot, Version
from onepiece.domain.project_dashboard import build_project_dashboard, status_totals
from onepiece.state.ingest_runs_reader import parse_runs


def at(day: int) -> datetime:
    return datetime(2024, 5, day, 12, 0, tzinfo=UTC)


def run(run_id: str, status: str, day: int) -> IngestRunRecord:
    return IngestRunRecord(run_id, status, "FG", at(day), at(day))


def test_ingest_summary_counts_outcomes_and_the_newest_success() -> None:
    runs = [
        run("1", "completed", 1),
        run("2", "completed", 3),
        run("3", "failed", 4),
        run("4", "running", 5),
        run("5", "cancelled", 2),
    ]
    summary = summarise_ingest(runs)
    assert (summary.total, summary.successful, summary.failed, summary.running) == (5, 2, 1, 1)
    assert summary.last_success_at == at(3)


def test_failure_streak_counts_failures_since_the_last_success_ignoring_cancelled() -> None:
    runs = [
        run("1", "failed", 1),
        run("2", "completed", 2),
        run("3", "failed", 3),
        run("4", "cancelled", 4),
        run("5", "failed", 5),
        run("6", "running", 6),
    ]
    assert summarise_ingest(runs).failure_streak == 2


def test_no_runs_give_zeros_and_no_last_success() -> None:
    summary = summarise_ingest([])
    assert summary.total == 0 and summary.last_success_at is None and summary.failure_streak == 0


def test_ingest_registry_rows_are_parsed_leniently() -> None:
    runs = parse_runs(
        {
            "runs": [
                {
                    "id": "a",
                    "status": "COMPLETED",
                    "started_at": "2024-05-01T10:00:00",
                    "completed_at": "2024-05-01T10:05:00Z",
                    "counts": {"files": 3},
                },
                {"id": "b", "status": "running", "started_at": "not a date"},
                "garbage",
            ]
        }
    )
    assert [r.status for r in runs] == ["completed", "running"]
    assert runs[0].started_at == datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
    assert runs[0].completed_at == datetime(2024, 5, 1, 10, 5, tzinfo=UTC)
    assert runs[1].started_at is None


def test_render_summary_counts_by_status_and_farm() -> None:
    summary = summarise_render([("running", "local"), ("failed", "opencue"), ("running", "local")])
    assert summary.jobs == 3
    assert summary.by_status == {"running": 2, "failed": 1}
    assert summary.by_farm == {"local": 2, "opencue": 1}


def test_review_counts_every_playlist_entry_as_a_clip_and_shots_once() -> None:
    versions = {
        "v1": Version("FG", "v1", shot="sh010"),
        "v2": Version("FG", "v2", shot="sh010"),
        "v3": Version("FG", "v3", shot="sh020"),
        "gone": None,
    }
    playlists = [
        Playlist("FG", "daily", versions=("v1", "v2")),
        Playlist("FG", "client", versions=("v2", "v3", "gone")),
    ]
    durations = {"v1": 2.0, "v2": 1.5, "v3": None}
    review = review_for_project("FG", playlists, versions, durations)
    assert review == ReviewProject("FG", playlists=2, clips=5, shots=2, duration_seconds=5.0)
    totals = review_totals([review, ReviewProject("XY", 1, 1, 1, 0.5)])
    assert (totals.projects, totals.playlists, totals.clips, totals.shots) == (2, 3, 6, 3)
    assert totals.duration_seconds == 5.5


def test_mixed_case_and_abbreviated_statuses_collapse_the_same_way_everywhere() -> None:
    shots = [
        Shot("FG", "s1", episode="ep1", status="IP"),
        Shot("FG", "s2", episode="ep2", status="in progress"),
    ]
    versions = [
        Version("FG", "a", episode="ep1", status="apr"),
        Version("FG", "b", episode="ep1", status="Approved"),
        Version("FG", "c", episode="ep2", status="APR"),
        Version("FG", "d", episode=None, status="pndng"),
        Version("FG", "e", episode="ep2", status="lookdev"),
    ]
    board = build_project_dashboard(
        "FG",
        "Fox Glove",
        [Episode("FG", "ep1"), Episode("FG", "ep2"), Episode("FG", "ep3")],
        shots,
        versions,
        status_map={"lookdev": "in_progress"},
    )
    assert board.status.versions["approved"] == 3
    assert board.status.versions["review"] == 1
    assert board.status.versions["in_progress"] == 1  # from the studio's status_map
    assert board.status.shots["in_progress"] == 2
    by_episode = {e.episode: e for e in board.episodes}
    assert list(by_episode) == ["ep1", "ep2", "ep3", "(none)"]
    assert by_episode["ep1"].status.versions["approved"] == 2
    assert by_episode["ep2"].status.versions["approved"] == 1
    assert by_episode["ep3"].versions == 0
    assert by_episode["(none)"].status.versions["review"] == 1
    # Episode breakdowns add up to the project totals, bucket by bucket.
    for bucket, total in board.status.versions.items():
        assert sum(e.status.versions[bucket] for e in board.episodes) == total
    # The overall figure uses the same function on raw counts.
    overall = status_totals({"IP": 1, "in progress": 1}, {"apr": 1, "Approved": 1, "APR": 1})
    assert overall.versions["approved"] == 3 and overall.shots["in_progress"] == 2


def test_latest_published_lists_newest_versions_first_with_their_bucket() -> None:
    versions = [
        Version("FG", "old", status="rev", created_at=at(1)),
        Version("FG", "new", status="APR", created_at=at(9)),
        Version("FG", "undated", status=None),
    ]
    board = build_project_dashboard("FG", "FG", [], [], versions, latest=2)
    assert [(p.code, p.status) for p in board.latest_published] == [
        ("new", "approved"),
        ("old", "review"),
    ]
