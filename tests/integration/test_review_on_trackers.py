"""Review (status, approved filter, playlists) behaves the same on every tracker adapter."""

from __future__ import annotations

import pytest

from onepiece.adapters.trackers.base import Tracker
from onepiece.domain.entities import Version
from onepiece.errors import EntityNotFound
from onepiece.services.review.versions import add_to_playlist, create_playlist, set_status


def test_approve_filter_and_playlist_on_each_tracker(tracker: Tracker) -> None:
    tracker.ensure_project("FG")
    tracker.create_versions(
        [Version("FG", f"FG_ep010_sc02_0010_comp_v00{n}", status="rev") for n in (1, 2, 3)]
    )
    set_status(
        tracker, "FG", ["FG_ep010_sc02_0010_comp_v001", "FG_ep010_sc02_0010_comp_v003"], "apr"
    )
    approved = {v.code for v in tracker.list_versions("FG", status="approved")}
    assert approved == {"FG_ep010_sc02_0010_comp_v001", "FG_ep010_sc02_0010_comp_v003"}
    with pytest.raises(EntityNotFound, match="NOPE"):
        set_status(tracker, "FG", ["FG_ep010_sc02_0010_comp_v002", "NOPE"], "apr")
    assert tracker.find_version("FG", "FG_ep010_sc02_0010_comp_v002").status == "rev"  # type: ignore[union-attr]

    playlist, created = create_playlist(
        tracker, "FG", "dailies", "first look", ["FG_ep010_sc02_0010_comp_v001"]
    )
    assert created and playlist.versions == ("FG_ep010_sc02_0010_comp_v001",)
    playlist = add_to_playlist(
        tracker, "FG", "dailies", ["FG_ep010_sc02_0010_comp_v002", "FG_ep010_sc02_0010_comp_v001"]
    )
    assert playlist.versions == ("FG_ep010_sc02_0010_comp_v001", "FG_ep010_sc02_0010_comp_v002")
    assert [p.code for p in tracker.list_playlists("FG")] == ["dailies"]
