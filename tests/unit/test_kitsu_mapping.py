"""The Kitsu mapping (pure functions): statuses and Version records."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from onepiece.adapters.trackers.kitsu import fields
from onepiece.domain.entities import Version

KITSU = {
    name: f"id-{name}"
    for name in ("approved", "done", "neutral", "ready", "rejected", "retake", "todo", "wfa", "wip")
}


@pytest.mark.parametrize(
    ("ours", "kitsu"),
    [
        ("rev", "wfa"),
        ("Pending Review", "wfa"),
        ("apr", "approved"),
        ("Approved", "approved"),
        ("ip", "wip"),
        ("fin", "done"),
        ("wtg", "todo"),
        ("rdy", "ready"),
        ("WFA", "wfa"),
        ("retake", "retake"),
        (None, "wfa"),
        ("made-up", "wfa"),
    ],
)
def test_outgoing_status_is_the_kitsu_status_of_the_same_bucket(ours: str, kitsu: str) -> None:
    assert fields.kitsu_status(ours, KITSU, {}) == kitsu


def test_studio_status_map_picks_the_kitsu_status_of_its_bucket() -> None:
    assert fields.kitsu_status("cbb", KITSU, {"cbb": "review"}) == "wfa"
    assert fields.kitsu_status("clientok", KITSU, {"clientok": "approved"}) == "approved"


def test_a_site_without_the_preferred_status_gets_one_of_the_same_bucket() -> None:
    site = {"approved": "1", "check": "2"}
    assert fields.kitsu_status("rev", site, {"check": "review"}) == "check"


def test_version_record_round_trips_every_field() -> None:
    version = Version(
        "FG",
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
        created_at=datetime(2024, 5, 1, 10, tzinfo=UTC),
        duration_seconds=0.8,
        metadata={"colorspace": "ACEScg"},
    )
    row = {"id": "p1", **fields.version_record(version)}
    assert fields.version_from("FG", row) == version


def test_a_preview_made_in_kitsu_reads_as_a_version_without_onepiece_fields() -> None:
    row = {"id": "p1", "name": "SH010_v3", "file_size": 0, "created_at": "2024-05-01T10:00:00"}
    version = fields.version_from("FG", row)
    assert (version.code, version.size, version.status) == ("SH010_v3", None, None)
    assert version.created_at == datetime(2024, 5, 1, 10, tzinfo=UTC)


def test_updating_an_unknown_field_names_it() -> None:
    with pytest.raises(KeyError, match="colour"):
        fields.version_changes({"data": {}}, {"colour": "red"})


def test_review_media_is_a_local_movie_or_image(tmp_path: Path) -> None:
    movie = tmp_path / "a b.mov"
    movie.write_bytes(b"x")
    assert fields.review_media(movie.as_uri()) == movie
    assert fields.review_media(str(movie)) == movie
    assert fields.review_media("s3://bucket/a.mov") is None
    assert fields.review_media(str(tmp_path / "missing.mov")) is None
    assert fields.review_media(str(tmp_path / "plate.####.exr")) is None
    assert fields.review_media(None) is None
