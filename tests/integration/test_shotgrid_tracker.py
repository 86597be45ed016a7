"""The ShotGrid adapter against Autodesk's mockgun on a schema our tests write."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from onepiece.adapters.trackers.shotgrid.tracker import ShotGridTracker
from onepiece.domain.entities import PublishedFile, ShotSpec, Version
from onepiece.errors import (
    EntityNotFound,
    TrackerRejected,
    ValidationError,
    VersionConflict,
)
from tests.integration.conftest import FAST_RETRIES
from tests.shotgrid_schema import RequestCounter, mockgun_site


def _specs(shots: int, sequence: str = "sc01", episode: str = "ep010") -> list[ShotSpec]:
    return [
        ShotSpec(
            episode=episode,
            sequence=sequence,
            shot=f"{sequence}_{i:04d}",
            cut_in=1001,
            cut_out=1024,
        )
        for i in range(1, shots + 1)
    ]


@pytest.fixture
def counted(mockgun: Any) -> tuple[ShotGridTracker, RequestCounter]:
    conn = RequestCounter(mockgun)
    tracker = ShotGridTracker(conn, policy=FAST_RETRIES, batch_size=3)
    tracker.ensure_project("FG", "Fire Giant")
    conn.reset()
    return tracker, conn


def test_ensure_project_creates_once_then_finds_it(shotgrid: ShotGridTracker) -> None:
    project, created = shotgrid.ensure_project("FG", "Fire Giant")
    again, created_again = shotgrid.ensure_project("FG")
    assert (project.code, project.name, created) == ("FG", "Fire Giant", True)
    assert (again, created_again) == (project, False)
    assert [p.code for p in shotgrid.list_projects()] == ["FG"]


def test_project_code_is_tank_name_and_archived_projects_are_hidden(
    shotgrid: ShotGridTracker, mockgun: Any
) -> None:
    mockgun.create("Project", {"name": "Old Show", "tank_name": "OLD", "archived": True})
    mockgun.create("Project", {"name": "Named Only"})
    assert [p.code for p in shotgrid.list_projects()] == ["Named Only"]
    assert {p.code for p in shotgrid.list_projects(include_archived=True)} == {"OLD", "Named Only"}
    assert shotgrid.get_project("OLD").archived is True
    with pytest.raises(EntityNotFound, match="project NOPE not found"):
        shotgrid.get_project("NOPE")


def test_ensure_hierarchy_links_every_level(shotgrid: ShotGridTracker) -> None:
    shotgrid.ensure_project("FG")
    specs = [
        ShotSpec(
            "ep010",
            "sc01",
            "sc01_0010",
            asset="hero",
            cut_in=1001,
            cut_out=1040,
            description="opening",
        ),
        ShotSpec("ep010", "sc01", "sc01_0020", asset="hero", status="ip"),
        ShotSpec("ep020", "sc05", "sc05_0010", asset="city"),
        ShotSpec(None, "sc09", "sc09_0010"),
    ]
    result = shotgrid.ensure_hierarchy("FG", specs)
    assert result.created == {
        "Episode": ["ep010", "ep020"],
        "Sequence": ["sc01", "sc05", "sc09"],
        "Shot": ["sc01_0010", "sc01_0020", "sc05_0010", "sc09_0010"],
        "Asset": ["hero", "city"],
    }
    assert result.failed == {}
    shots = {s.code: s for s in shotgrid.list_shots("FG")}
    assert (shots["sc01_0010"].sequence, shots["sc01_0010"].episode) == ("sc01", "ep010")
    assert (shots["sc01_0010"].cut_in, shots["sc01_0010"].cut_out) == (1001, 1040)
    assert shots["sc01_0010"].description == "opening"
    assert shots["sc01_0020"].status == "ip"
    assert (shots["sc09_0010"].sequence, shots["sc09_0010"].episode) == ("sc09", None)
    assert {(s.code, s.episode) for s in shotgrid.list_sequences("FG")} == {
        ("sc01", "ep010"),
        ("sc05", "ep020"),
        ("sc09", None),
    }
    assert [e.code for e in shotgrid.list_episodes("FG")] == ["ep010", "ep020"]
    assert shotgrid.asset_shots("FG") == {"hero": ["sc01_0010", "sc01_0020"], "city": ["sc05_0010"]}


def test_second_run_creates_nothing_and_reports_existing(shotgrid: ShotGridTracker) -> None:
    shotgrid.ensure_project("FG")
    specs = _specs(5)
    shotgrid.ensure_hierarchy("FG", specs)
    events: list[tuple[str, str, str]] = []
    again = shotgrid.ensure_hierarchy("FG", specs, progress=lambda *e: events.append(e))
    assert again.created_count == 0
    assert again.existing == {
        "Episode": ["ep010"],
        "Sequence": ["sc01"],
        "Shot": [s.shot for s in specs],
    }
    assert ("Shot", "sc01_0003", "existing") in events
    assert len(shotgrid.list_shots("FG")) == 5


def test_ensure_hierarchy_sends_one_batch_per_chunk_per_level(
    counted: tuple[ShotGridTracker, RequestCounter],
) -> None:
    tracker, conn = counted
    shots = 10  # batch size 3 -> 4 shot batches
    tracker.ensure_hierarchy("FG", _specs(shots))
    assert conn.count("batch") == 1 + 1 + math.ceil(shots / 3)
    assert conn.count("create", "update", "delete") == 0
    assert conn.count("find") == 3  # existing episodes, sequences, shots (project id cached)
    conn.reset()
    tracker.ensure_hierarchy("FG", _specs(shots))
    assert conn.count("batch") == 0
    assert conn.count("find") == 3


def test_progress_reports_each_shot_as_its_batch_lands(shotgrid: ShotGridTracker) -> None:
    shotgrid.ensure_project("FG")
    events: list[tuple[str, str, str]] = []
    shotgrid.ensure_hierarchy("FG", _specs(4), progress=lambda *e: events.append(e))
    assert [e for e in events if e[0] == "Shot"] == [
        ("Shot", f"sc01_{i:04d}", "created") for i in range(1, 5)
    ]


def test_a_rejected_chunk_fails_its_shots_and_the_rest_are_created(
    shotgrid: ShotGridTracker,
) -> None:
    shotgrid.ensure_project("FG")
    specs = _specs(6)
    # Wrong type for a number field in the second chunk, as a bad site config would.
    specs[4] = ShotSpec("ep010", "sc01", "sc01_0005", cut_in="soon")  # type: ignore[arg-type]
    result = shotgrid.ensure_hierarchy("FG", specs)
    # A real site's batch is all or nothing; mockgun's stops at the bad row, and
    # the adapter reports what the chunk really left behind.
    assert result.created["Shot"] == ["sc01_0001", "sc01_0002", "sc01_0003", "sc01_0004"]
    assert set(result.failed) == {"Shot:sc01_0005", "Shot:sc01_0006"}
    assert "Shot.sg_cut_in" in result.failed["Shot:sc01_0005"]
    rerun = shotgrid.ensure_hierarchy("FG", _specs(6))
    assert rerun.created["Shot"] == ["sc01_0005", "sc01_0006"]
    assert len(shotgrid.list_shots("FG")) == 6


def test_assets_gain_links_to_new_shots_without_duplicates(shotgrid: ShotGridTracker) -> None:
    shotgrid.ensure_project("FG")
    shotgrid.ensure_hierarchy("FG", [ShotSpec("ep010", "sc01", "a", asset="hero")])
    shotgrid.ensure_hierarchy(
        "FG",
        [
            ShotSpec("ep010", "sc01", "a", asset="hero"),
            ShotSpec("ep010", "sc01", "b", asset="hero"),
        ],
    )
    assert shotgrid.asset_shots("FG") == {"hero": ["a", "b"]}
    assert [a.code for a in shotgrid.list_assets("FG")] == ["hero"]


def test_missing_task_template_fails_before_anything_is_created(
    shotgrid: ShotGridTracker, mockgun: Any
) -> None:
    shotgrid.ensure_project("FG")
    mockgun.create("TaskTemplate", {"code": "Basic Shot", "entity_type": "Shot"})
    ok = ShotSpec("ep010", "sc01", "a", task_template="Basic Shot")
    shotgrid.ensure_hierarchy("FG", [ok])
    assert shotgrid.shot_task_templates("FG") == {"a": "Basic Shot"}
    with pytest.raises(EntityNotFound, match="Full CG"):
        shotgrid.ensure_hierarchy("FG", [ShotSpec("ep010", "sc01", "b", task_template="Full CG")])
    assert [s.code for s in shotgrid.list_shots("FG")] == ["a"]


def _version(code: str, **fields: Any) -> Version:
    return Version(project="FG", code=code, **{"shot": "sc01_0001", **fields})


def test_versions_round_trip_every_field(shotgrid: ShotGridTracker) -> None:
    shotgrid.ensure_project("FG")
    shotgrid.ensure_hierarchy("FG", _specs(1))
    when = datetime(2024, 5, 1, 12, 30, tzinfo=UTC)
    original = _version(
        "FG_sc01_0001_comp_v001",
        sequence="sc01",
        episode="ep010",
        asset="comp",
        status="rev",
        path="s3://vendor-in/FG/comp.####.exr",
        frame_first=1001,
        frame_last=1024,
        frame_range="1001-1024",
        checksum="xxh3:abc",
        size=123_456_789_012,
        user="nami",
        description="first comp",
        created_at=when,
        duration_seconds=1.0,
        metadata={"vendor": "strawhat"},
    )
    (created,) = shotgrid.create_versions([original])
    assert created == original
    assert shotgrid.find_version("FG", original.code) == original
    assert shotgrid.find_version("FG", "nope") is None


def test_movie_and_frame_paths_use_their_own_fields(
    shotgrid: ShotGridTracker, mockgun: Any
) -> None:
    shotgrid.ensure_project("FG")
    shotgrid.create_versions(
        [_version("mov", path="/shows/FG/a.mov"), _version("seq", path="/shows/FG/a.%04d.exr")]
    )
    rows = {
        r["code"]: r
        for r in mockgun.find("Version", [], ["code", "sg_path_to_movie", "sg_path_to_frames"])
    }
    assert (rows["mov"]["sg_path_to_movie"], rows["mov"]["sg_path_to_frames"]) == (
        "/shows/FG/a.mov",
        None,
    )
    assert rows["seq"]["sg_path_to_frames"] == "/shows/FG/a.%04d.exr"


def test_existing_version_code_conflicts_and_nothing_is_created(shotgrid: ShotGridTracker) -> None:
    shotgrid.ensure_project("FG")
    shotgrid.create_versions([_version("v5")])
    batch = [_version(f"v{i}") for i in range(1, 7)]  # v5 exists; batch size 3 -> 2 chunks
    with pytest.raises(VersionConflict, match="v5"):
        shotgrid.create_versions(batch)
    assert [v.code for v in shotgrid.list_versions("FG")] == ["v5"]


def test_a_failing_later_chunk_removes_the_earlier_ones(shotgrid: ShotGridTracker) -> None:
    shotgrid.ensure_project("FG")
    batch = [_version(f"v{i}") for i in range(1, 6)]
    batch[4] = _version("v5", frame_first="first")  # type: ignore[arg-type]
    with pytest.raises(TrackerRejected, match="Version.sg_first_frame"):
        shotgrid.create_versions(batch)
    assert shotgrid.list_versions("FG") == []


def test_missing_shots_are_created_only_when_configured(mockgun: Any) -> None:
    strict = ShotGridTracker(mockgun, policy=FAST_RETRIES, create_missing_hierarchy=False)
    strict.ensure_project("FG")
    with pytest.raises(EntityNotFound, match="sc02_0010"):
        strict.create_versions([_version("v1", shot="sc02_0010", sequence="sc02")])
    lenient = ShotGridTracker(mockgun, policy=FAST_RETRIES)
    (version,) = lenient.create_versions(
        [_version("v1", shot="sc02_0010", sequence="sc02", episode="ep020")]
    )
    assert (version.shot, version.sequence, version.episode) == ("sc02_0010", "sc02", "ep020")


def test_update_versions_writes_site_codes_and_merges_data(shotgrid: ShotGridTracker) -> None:
    shotgrid.ensure_project("FG")
    shotgrid.create_versions([_version("v1", size=10, metadata={"a": 1})])
    (updated,) = shotgrid.update_versions(
        "FG", {"v1": {"status": "approved", "size": 11, "description": "ok"}}
    )
    assert (updated.status, updated.size, updated.metadata, updated.description) == (
        "apr",
        11,
        {"a": 1},
        "ok",
    )
    with pytest.raises(ValidationError, match="colour"):
        shotgrid.update_versions("FG", {"v1": {"colour": "red"}})
    with pytest.raises(EntityNotFound, match="v9"):
        shotgrid.update_versions("FG", {"v9": {"status": "apr"}})


def test_list_versions_filters_by_bucket_code_episode_and_limit(shotgrid: ShotGridTracker) -> None:
    shotgrid.ensure_project("FG")
    shotgrid.ensure_hierarchy("FG", _specs(1) + _specs(1, "sc05", "ep020"))
    base = datetime(2024, 1, 1, tzinfo=UTC)
    shotgrid.create_versions(
        [
            _version("a", status="apr", created_at=base.replace(day=1)),
            _version("b", status="rev", created_at=base.replace(day=2)),
            _version("c", shot="sc05_0001", status="apr", created_at=base.replace(day=3)),
        ]
    )
    assert [v.code for v in shotgrid.list_versions("FG")] == ["c", "b", "a"]
    assert [v.code for v in shotgrid.list_versions("FG", status="approved")] == ["c", "a"]
    assert [v.code for v in shotgrid.list_versions("FG", status="rev")] == ["b"]
    assert [v.code for v in shotgrid.list_versions("FG", episodes=["ep010"])] == ["b", "a"]
    assert [v.code for v in shotgrid.list_versions("FG", episodes=["ep010"], limit=1)] == ["b"]
    assert [v.code for v in shotgrid.list_versions("FG", limit=2)] == ["c", "b"]


def test_status_map_overrides_decide_the_bucket_filter(mockgun: Any) -> None:
    tracker = ShotGridTracker(mockgun, policy=FAST_RETRIES, status_map={"hld": "review"})
    tracker.ensure_project("FG")
    tracker.create_versions([_version("a", status="hld"), _version("b", status="rev")])
    assert {v.code for v in tracker.list_versions("FG", status="review")} == {"a", "b"}
    assert tracker.list_versions("FG", status="on_hold") == []


def test_delete_versions_counts_what_it_removed(shotgrid: ShotGridTracker) -> None:
    shotgrid.ensure_project("FG")
    shotgrid.create_versions([_version(f"v{i}") for i in range(1, 5)])
    assert shotgrid.delete_versions("FG", ["v1", "v2", "v3", "missing"]) == 3
    assert [v.code for v in shotgrid.list_versions("FG")] == ["v4"]


def test_playlists_keep_order_and_ignore_repeats(shotgrid: ShotGridTracker) -> None:
    shotgrid.ensure_project("FG")
    shotgrid.create_versions([_version(c) for c in ("a", "b", "c")])
    playlist, created = shotgrid.create_playlist("FG", "dailies_0501", "morning review")
    assert created and playlist.versions == ()
    assert shotgrid.create_playlist("FG", "dailies_0501")[1] is False
    shotgrid.add_to_playlist("FG", "dailies_0501", ["b", "a"])
    playlist = shotgrid.add_to_playlist("FG", "dailies_0501", ["a", "c"])
    assert playlist.versions == ("b", "a", "c")
    assert playlist.description == "morning review"
    assert [p.code for p in shotgrid.list_playlists("FG")] == ["dailies_0501"]
    with pytest.raises(EntityNotFound, match="zz"):
        shotgrid.add_to_playlist("FG", "dailies_0501", ["zz"])
    with pytest.raises(EntityNotFound):
        shotgrid.get_playlist("FG", "nope")


def test_published_files_link_versions_and_reuse_file_types(
    shotgrid: ShotGridTracker, mockgun: Any
) -> None:
    shotgrid.ensure_project("FG")
    shotgrid.create_versions([_version("v1"), _version("v2")])
    files = [
        PublishedFile(
            "FG",
            "a.exr",
            "/shows/FG/a.exr",
            version="v1",
            file_type="Rendered Image",
            size=5,
            checksum="md5:1",
        ),
        PublishedFile("FG", "b.mov", "s3://client-out/b.mov", version="v2", file_type="Movie"),
    ]
    shotgrid.create_published_files(files)
    shotgrid.create_published_files(
        [PublishedFile("FG", "c.exr", "/c.exr", version="v1", file_type="Movie")]
    )
    assert shotgrid.list_published_files("FG", version="v1") == [
        files[0],
        PublishedFile("FG", "c.exr", "/c.exr", version="v1", file_type="Movie"),
    ]
    assert shotgrid.list_published_files("FG", version="v2") == [files[1]]
    assert shotgrid.list_published_files("FG", version="nope") == []
    assert len(mockgun.find("PublishedFileType", [], ["code"])) == 2


def test_counts_without_summarize_match_the_site(shotgrid: ShotGridTracker) -> None:
    shotgrid.ensure_project("FG")
    shotgrid.ensure_project("OP")
    shotgrid.ensure_hierarchy("FG", _specs(4))
    shotgrid.ensure_hierarchy("OP", _specs(2, "sc07", "ep070"))
    shotgrid.create_versions(
        [_version("a", status="apr"), _version("b", status="rev"), _version("c", status="apr")]
    )
    fg = shotgrid.counts("FG")
    assert (fg.projects, fg.episodes, fg.sequences, fg.shots, fg.versions) == (1, 1, 1, 4, 3)
    assert fg.version_status == {"apr": 2, "rev": 1}
    assert fg.shot_status == {"wtg": 4}
    everything = shotgrid.counts()
    assert (everything.projects, everything.shots, everything.episodes) == (2, 6, 2)


def test_a_site_without_a_custom_field_is_reported_with_the_field(tmp_path: Path) -> None:
    site = mockgun_site(tmp_path / "thin", without={"Version": ["sg_checksum"]})
    tracker = ShotGridTracker(site, policy=FAST_RETRIES)
    tracker.ensure_project("FG")
    with pytest.raises(TrackerRejected) as caught:
        tracker.create_versions([_version("v1", checksum="xxh3:1")])
    assert caught.value.context["field"] == "Version.sg_checksum"
    assert "docs/configuration.md" in (caught.value.hint or "")
