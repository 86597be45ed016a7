"""Show setup and project trees on every tracker adapter (local SQLite and ShotGrid)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from onepiece.adapters.trackers.base import Tracker
from onepiece.domain.show_setup import parse_show_setup
from onepiece.errors import ValidationError
from onepiece.services.show.setup import run_show_setup
from onepiece.services.show.templates import apply_tree, save_tree

CSV = Path(__file__).resolve().parents[2] / "docs" / "examples" / "show_setup.csv"


def test_show_setup_reports_every_shot_and_then_creates_nothing(tracker: Tracker) -> None:
    events: list[tuple[str, str, str]] = []
    plan = parse_show_setup(CSV.read_text(encoding="utf-8"))
    first = run_show_setup(tracker, "OP", plan, progress=lambda *e: events.append(e))
    assert first.project_created
    assert first.counts(first.created) == {"Episode": 2, "Sequence": 3, "Shot": 7, "Asset": 3}
    assert [code for kind, code, _ in events if kind == "Shot"] == plan.shots
    second = run_show_setup(tracker, "OP", plan)
    assert second.counts(second.created) == {"Episode": 0, "Sequence": 0, "Shot": 0, "Asset": 0}
    assert second.counts(second.existing)["Shot"] == 7


def test_dry_run_writes_nothing(tracker: Tracker) -> None:
    plan = parse_show_setup(CSV.read_text(encoding="utf-8"))
    summary = run_show_setup(tracker, "OP", plan, dry_run=True)
    assert summary.project_created and summary.counts(summary.created)["Shot"] == 7
    assert "OP" not in {p.code for p in tracker.list_projects()}


def test_an_invalid_plan_is_refused_before_any_write(tracker: Tracker) -> None:
    plan = parse_show_setup("episode,sequence,shot\nep1,,a\n")
    with pytest.raises(ValidationError, match="nothing was created"):
        run_show_setup(tracker, "OP", plan)
    assert tracker.list_projects() == []


@pytest.mark.parametrize("name", ["tree.json", "tree.yaml"])
def test_a_saved_tree_replays_onto_a_new_project(
    tracker: Tracker, tmp_path: Path, name: str
) -> None:
    run_show_setup(tracker, "OP", parse_show_setup(CSV.read_text(encoding="utf-8")))
    saved = save_tree(tracker, "OP", tmp_path / name)
    assert saved.counts == {"episodes": 2, "sequences": 3, "shots": 7, "assets": 3}
    applied = apply_tree(tracker, tmp_path / name, "OP2")
    assert applied.summary.counts(applied.summary.created)["Shot"] == 7
    original = {
        (s.code, s.sequence, s.episode, s.cut_in, s.cut_out) for s in tracker.list_shots("OP")
    }
    copy = {(s.code, s.sequence, s.episode, s.cut_in, s.cut_out) for s in tracker.list_shots("OP2")}
    assert copy == original
    if saved.links:  # trackers that keep asset links replay the assets too
        assert {a.code for a in tracker.list_assets("OP2")} == {"luffy", "going_merry", "zoro"}
    else:
        assert len(applied.skipped) == 3


def test_tree_files_need_a_known_extension(tracker: Tracker, tmp_path: Path) -> None:
    tracker.ensure_project("OP")
    with pytest.raises(ValidationError, match="cannot tell the format") as caught:
        save_tree(tracker, "OP", tmp_path / "tree.txt")
    assert caught.value.hint == "use a .json, .yaml or .yml file name"
    (tmp_path / "bad.json").write_text(json.dumps({"format": "x"}), encoding="utf-8")
    with pytest.raises(ValidationError, match="not a project tree"):
        apply_tree(tracker, tmp_path / "bad.json", "OP2")


def test_changed_cut_ranges_and_statuses_are_reported_then_applied_with_update(
    tracker: Tracker,
) -> None:
    """Issue 14.15: differences on existing shots are reported; only --update applies them."""
    header = "episode,sequence,shot,cut_in,cut_out,status,description\n"
    first = header + "ep1,sq1,sh010,1001,1050,wtg,plate\nep1,sq1,sh020,1001,1020,wtg,\n"
    run_show_setup(tracker, "OP", parse_show_setup(first))
    # sh010: new cut_in and status; sh020: blank cells mean "not given", never "clear".
    changed = parse_show_setup(header + "ep1,sq1,sh010,1009,1050,ip,plate\nep1,sq1,sh020,,1024,,\n")
    expected = {
        ("sh010", "cut_in", 1001, 1009),
        ("sh010", "status", "wtg", "ip"),
        ("sh020", "cut_out", 1020, 1024),
    }

    def state() -> dict[str, tuple[object, ...]]:
        return {s.code: (s.cut_in, s.cut_out, s.status) for s in tracker.list_shots("OP")}

    before = state()
    reported = run_show_setup(tracker, "OP", changed)
    assert {(c.code, c.field, c.old, c.new) for c in reported.differences} == expected
    assert not reported.updated and state() == before
    assert reported.to_dict()["differences"][0].keys() == {"kind", "code", "field", "old", "new"}
    dry = run_show_setup(tracker, "OP", changed, dry_run=True, update=True)
    assert len(dry.differences) == 3 and not dry.updated and state() == before

    applied = run_show_setup(tracker, "OP", changed, update=True)
    assert applied.updated
    assert state() == {"sh010": (1009, 1050, "ip"), "sh020": (1001, 1024, "wtg")}
    assert run_show_setup(tracker, "OP", changed).differences == []
