"""The Tracker contract: every adapter in TRACKER_FACTORIES must pass these.

Only the Tracker protocol is used here, never an adapter's internals.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from onepiece.adapters.trackers.base import Tracker
from onepiece.domain.entities import PublishedFile, ShotSpec, Version
from onepiece.errors import EntityNotFound, ValidationError, VersionConflict

T0 = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)

SPECS = [
    ShotSpec("ep010", "sc01", "ep010_sc01_0010", cut_in=1001, cut_out=1050, status="ip"),
    ShotSpec("ep010", "sc01", "ep010_sc01_0020", asset="hero"),
    ShotSpec("ep010", "sc02", "ep010_sc02_0010"),
    ShotSpec("ep020", "sc01b", "ep020_sc01b_0010", asset="hero", status="apr"),
]


def version(code: str, minutes: int = 0, **fields: object) -> Version:
    values: dict[str, object] = {"created_at": T0 + timedelta(minutes=minutes), **fields}
    return Version("FG", code, **values)  # type: ignore[arg-type]


@pytest.fixture
def project(tracker: Tracker) -> str:
    tracker.ensure_project("FG", "Fish Guts")
    return "FG"


# Projects


def test_ensure_project_creates_once_then_finds_it(tracker: Tracker) -> None:
    created, was_created = tracker.ensure_project("FG", "Fish Guts")
    again, created_again = tracker.ensure_project("FG", "Fish Guts")
    assert (created.code, was_created) == ("FG", True)
    assert (again, created_again) == (created, False)
    assert tracker.get_project("FG").name == "Fish Guts"


def test_list_projects_lists_every_project(tracker: Tracker) -> None:
    tracker.ensure_project("FG")
    tracker.ensure_project("ZZ")
    assert {project.code for project in tracker.list_projects()} >= {"FG", "ZZ"}


def test_get_project_unknown_raises_entity_not_found(tracker: Tracker) -> None:
    with pytest.raises(EntityNotFound):
        tracker.get_project("NOPE")


def test_ping_describes_the_connection(tracker: Tracker) -> None:
    assert tracker.ping().strip()


# Hierarchy


def test_ensure_hierarchy_creates_each_kind_once(tracker: Tracker, project: str) -> None:
    result = tracker.ensure_hierarchy(project, SPECS)
    assert sorted(result.created["Episode"]) == ["ep010", "ep020"]
    assert sorted(result.created["Sequence"]) == ["sc01", "sc01b", "sc02"]
    assert len(result.created["Shot"]) == 4
    assert result.created["Asset"] == ["hero"]
    assert result.existing_count == 0


def test_ensure_hierarchy_second_run_creates_nothing(tracker: Tracker, project: str) -> None:
    tracker.ensure_hierarchy(project, SPECS)
    second = tracker.ensure_hierarchy(project, SPECS)
    assert second.created_count == 0
    assert sorted(second.existing["Shot"]) == sorted(spec.shot for spec in SPECS)
    assert sorted(second.existing["Episode"]) == ["ep010", "ep020"]
    assert len(tracker.list_shots(project)) == 4


def test_hierarchy_lists_keep_parents_and_cut(tracker: Tracker, project: str) -> None:
    tracker.ensure_hierarchy(project, SPECS)
    assert {e.code for e in tracker.list_episodes(project)} == {"ep010", "ep020"}
    sequences = {s.code: s.episode for s in tracker.list_sequences(project)}
    assert sequences == {"sc01": "ep010", "sc02": "ep010", "sc01b": "ep020"}
    shot = {s.code: s for s in tracker.list_shots(project)}["ep010_sc01_0010"]
    assert (shot.sequence, shot.episode, shot.cut_in, shot.cut_out) == ("sc01", "ep010", 1001, 1050)
    assert [a.code for a in tracker.list_assets(project)] == ["hero"]


def test_ensure_hierarchy_unknown_project_raises(tracker: Tracker) -> None:
    with pytest.raises(EntityNotFound):
        tracker.ensure_hierarchy("NOPE", SPECS)


# Versions


def test_created_version_round_trips_every_field(tracker: Tracker, project: str) -> None:
    full = version(
        "FG_ep010_sc01_0010_comp_v001",
        shot="ep010_sc01_0010",
        sequence="sc01",
        episode="ep010",
        status="rev",
        path="s3://plates/FG/comp_v001.####.exr",
        frame_first=1001,
        frame_last=1020,
        frame_range="1001-1010,1012-1020",
        checksum="xxh64:0123456789abcdef",
        size=123456,
        user="nami",
        description="first comp",
        duration_seconds=0.8,
        metadata={"colorspace": "ACEScg", "tags": ["hero"]},
    )
    [created] = tracker.create_versions([full])
    assert created == full
    assert tracker.find_version(project, full.code) == full


def test_created_at_defaults_to_now_in_utc(tracker: Tracker, project: str) -> None:
    before = datetime.now(UTC) - timedelta(seconds=5)
    [created] = tracker.create_versions([Version(project, "v_now")])
    assert created.created_at is not None and created.created_at.utcoffset() == timedelta(0)
    assert created.created_at >= before
    found = tracker.find_version(project, "v_now")
    assert found is not None and found.created_at == created.created_at


def test_find_version_unknown_returns_none(tracker: Tracker, project: str) -> None:
    assert tracker.find_version(project, "missing_v001") is None


def test_create_versions_conflict_names_code_and_creates_nothing(
    tracker: Tracker, project: str
) -> None:
    tracker.create_versions([version("a_v001")])
    with pytest.raises(VersionConflict) as caught:
        tracker.create_versions([version("b_v001"), version("a_v001"), version("c_v001")])
    assert "a_v001" in str(caught.value)
    assert "b_v001" not in str(caught.value)
    assert tracker.find_version(project, "b_v001") is None
    assert tracker.find_version(project, "c_v001") is None


def test_create_versions_unknown_project_raises(tracker: Tracker) -> None:
    with pytest.raises(EntityNotFound):
        tracker.create_versions([Version("NOPE", "x_v001")])


def test_update_versions_changes_only_given_fields(tracker: Tracker, project: str) -> None:
    tracker.create_versions([version("a_v001", status="rev", path="/a", user="zoro")])
    [updated] = tracker.update_versions(
        project, {"a_v001": {"status": "apr", "description": "ok", "metadata": {"note": 1}}}
    )
    assert (updated.status, updated.description, updated.metadata) == ("apr", "ok", {"note": 1})
    assert (updated.path, updated.user) == ("/a", "zoro")
    assert tracker.find_version(project, "a_v001") == updated


def test_update_versions_unknown_code_raises_and_changes_nothing(
    tracker: Tracker, project: str
) -> None:
    tracker.create_versions([version("a_v001", status="rev")])
    with pytest.raises(EntityNotFound):
        tracker.update_versions(
            project, {"a_v001": {"status": "apr"}, "zz_v009": {"status": "apr"}}
        )
    found = tracker.find_version(project, "a_v001")
    assert found is not None and found.status == "rev"


def test_update_versions_unknown_field_raises_validation_error(
    tracker: Tracker, project: str
) -> None:
    tracker.create_versions([version("a_v001")])
    with pytest.raises(ValidationError):
        tracker.update_versions(project, {"a_v001": {"colour": "red"}})


def test_delete_versions_counts_what_it_deleted(tracker: Tracker, project: str) -> None:
    tracker.create_versions([version("a_v001"), version("b_v001")])
    assert tracker.delete_versions(project, ["a_v001", "missing_v001"]) == 1
    assert tracker.find_version(project, "a_v001") is None
    assert tracker.find_version(project, "b_v001") is not None


def test_list_versions_newest_first_with_limit(tracker: Tracker, project: str) -> None:
    tracker.create_versions([version("old", 0), version("newest", 20), version("middle", 10)])
    assert [v.code for v in tracker.list_versions(project)] == ["newest", "middle", "old"]
    assert [v.code for v in tracker.list_versions(project, limit=2)] == ["newest", "middle"]


def test_list_versions_status_matches_raw_code_case_insensitively(
    tracker: Tracker, project: str
) -> None:
    tracker.create_versions(
        [version("a", 0, status="apr"), version("b", 1, status="APR"), version("c", 2, status="ip")]
    )
    assert [v.code for v in tracker.list_versions(project, status="Apr")] == ["b", "a"]


def test_list_versions_status_bucket_matches_every_spelling(tracker: Tracker, project: str) -> None:
    tracker.create_versions(
        [
            version("a", 0, status="apr"),
            version("b", 1, status="Approved"),
            version("c", 2, status="rev"),
            version("d", 3),
        ]
    )
    assert [v.code for v in tracker.list_versions(project, status="approved")] == ["b", "a"]
    assert [v.code for v in tracker.list_versions(project, status="review")] == ["c"]


def test_list_versions_filters_by_episodes(tracker: Tracker, project: str) -> None:
    tracker.create_versions(
        [
            version("a", 0, episode="ep010"),
            version("b", 1, episode="ep020"),
            version("c", 2, episode="ep030"),
        ]
    )
    listed = tracker.list_versions(project, episodes=["ep010", "ep030"])
    assert [v.code for v in listed] == ["c", "a"]


# Playlists


def test_create_playlist_is_idempotent(tracker: Tracker, project: str) -> None:
    playlist, created = tracker.create_playlist(project, "dailies_0501", "comp review")
    again, created_again = tracker.create_playlist(project, "dailies_0501", "comp review")
    assert created and not created_again
    assert (again.code, again.description, again.versions) == ("dailies_0501", "comp review", ())


def test_add_to_playlist_keeps_order_and_skips_duplicates(tracker: Tracker, project: str) -> None:
    tracker.create_versions([version("a"), version("b"), version("c")])
    tracker.create_playlist(project, "dailies")
    tracker.add_to_playlist(project, "dailies", ["b", "a", "b"])
    playlist = tracker.add_to_playlist(project, "dailies", ["a", "c"])
    assert playlist.versions == ("b", "a", "c")
    assert tracker.get_playlist(project, "dailies").versions == ("b", "a", "c")


def test_add_to_playlist_unknown_version_raises_and_adds_nothing(
    tracker: Tracker, project: str
) -> None:
    tracker.create_versions([version("a")])
    tracker.create_playlist(project, "dailies")
    with pytest.raises(EntityNotFound):
        tracker.add_to_playlist(project, "dailies", ["a", "ghost_v001"])
    assert tracker.get_playlist(project, "dailies").versions == ()


def test_unknown_playlist_raises(tracker: Tracker, project: str) -> None:
    with pytest.raises(EntityNotFound):
        tracker.get_playlist(project, "nope")


def test_list_playlists_includes_their_versions(tracker: Tracker, project: str) -> None:
    tracker.create_versions([version("a"), version("b")])
    tracker.create_playlist(project, "one")
    tracker.create_playlist(project, "two")
    tracker.add_to_playlist(project, "two", ["b", "a"])
    listed = {p.code: p.versions for p in tracker.list_playlists(project)}
    assert listed == {"one": (), "two": ("b", "a")}


# Published files


def test_published_files_list_by_project_and_version(tracker: Tracker, project: str) -> None:
    tracker.create_versions([version("a_v001"), version("b_v001")])
    files = [
        PublishedFile(project, "a_v001.exr", "/pub/a_v001.####.exr", "a_v001", "exr", "x:1", 10),
        PublishedFile(project, "a_v001.mov", "/pub/a_v001.mov", "a_v001", "mov"),
        PublishedFile(project, "b_v001.exr", "/pub/b_v001.####.exr", "b_v001", "exr"),
    ]
    tracker.create_published_files(files)
    assert {f.code for f in tracker.list_published_files(project)} == {f.code for f in files}
    for_a = {f.code: f for f in tracker.list_published_files(project, version="a_v001")}
    assert set(for_a) == {"a_v001.exr", "a_v001.mov"}
    assert for_a["a_v001.exr"] == files[0]


# Counts


def test_counts_per_project_and_overall(tracker: Tracker, project: str) -> None:
    tracker.ensure_project("ZZ")
    tracker.ensure_hierarchy(project, SPECS)
    tracker.ensure_hierarchy("ZZ", [ShotSpec("ep001", "sc01", "zz_0010")])
    tracker.create_versions(
        [version("a", status="apr"), version("b", status="apr"), version("c", status="rev")]
    )
    tracker.create_versions([Version("ZZ", "z", status="rev")])
    counts = tracker.counts(project)
    assert (counts.episodes, counts.sequences, counts.shots, counts.versions) == (2, 3, 4, 3)
    assert counts.version_status == {"apr": 2, "rev": 1}
    assert counts.shot_status.get("ip") == 1 and counts.shot_status.get("apr") == 1
    overall = tracker.counts()
    assert overall.projects >= 2
    assert (overall.shots, overall.versions) == (5, 4)
    assert overall.version_status == {"apr": 2, "rev": 2}
