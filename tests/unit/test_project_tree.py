"""Project trees: built from tracker entities, replayed into hierarchy specs."""

from __future__ import annotations

from onepiece.domain.entities import Asset, Episode, Project, Sequence, Shot, ShotSpec
from onepiece.domain.project_tree import build_tree, specs_from_tree


def _tree() -> dict[str, object]:
    return build_tree(
        Project("OP", "One Piece"),
        [Episode("OP", "ep010"), Episode("OP", "ep099")],
        [Sequence("OP", "sc01", "ep010"), Sequence("OP", "sc99", "ep010")],
        [Shot("OP", "sc01_0010", "sc01", "ep010", "ip", 1001, 1040, "open")],
        [Asset("OP", "hero", "Character"), Asset("OP", "lonely")],
        asset_shots={"hero": ["sc01_0010"]},
        task_templates={"sc01_0010": "Basic Shot"},
        source="shotgrid",
    )


def test_a_saved_tree_replays_into_the_same_specs() -> None:
    replay = specs_from_tree(_tree())
    shot = ShotSpec("ep010", "sc01", "sc01_0010", None, 1001, 1040, "open", "ip", "Basic Shot")
    assert replay.specs == [shot, ShotSpec(**{**shot.__dict__, "asset": "hero"})]
    assert replay.errors == []


def test_entities_the_port_cannot_create_without_a_shot_are_listed_as_skipped() -> None:
    assert specs_from_tree(_tree()).skipped == [
        "Asset lonely (linked to no shot)",
        "Sequence sc99 (has no shots)",
        "Episode ep099 (has no shots)",
    ]


def test_a_hand_edited_tree_with_mistakes_gives_every_error_and_no_specs() -> None:
    tree = _tree()
    tree["shots"] = [{"code": "ok"}, {"code": "bad code"}, {"code": "x", "cut_in": "1001"}]
    replay = specs_from_tree(tree)
    assert replay.errors == [
        "shots[1]: missing or invalid code 'bad code'",
        "shots[2]: cut_in must be a whole number, not '1001'",
    ]
    assert replay.specs == []


def test_a_file_that_is_not_a_project_tree_is_refused() -> None:
    replay = specs_from_tree({"shots": []})
    assert replay.errors and "not a project tree" in replay.errors[0]
