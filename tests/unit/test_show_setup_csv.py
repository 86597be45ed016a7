"""Show setup CSV validation: whole file first, every bad row with its line number."""

from __future__ import annotations

import pytest

from onepiece.domain.entities import ShotSpec
from onepiece.domain.show_setup import parse_show_setup, template_from_dict

GOOD = """episode,sequence,shot,asset,cut_in,cut_out,description,status
ep010,sc01,ep010_sc01_0010,hero,1001,1048,Opening,wtg
ep010,sc01,ep010_sc01_0020,,1001,1020,,ip
ep020,sc05,ep020_sc05_0010,city,,,,
"""


def test_a_valid_file_gives_one_spec_per_row() -> None:
    plan = parse_show_setup(GOOD)
    assert plan.valid and plan.rows == 3
    assert plan.specs[0] == ShotSpec(
        "ep010", "sc01", "ep010_sc01_0010", "hero", 1001, 1048, "Opening", "wtg"
    )
    assert plan.specs[2] == ShotSpec("ep020", "sc05", "ep020_sc05_0010", "city")
    assert plan.shots == ["ep010_sc01_0010", "ep010_sc01_0020", "ep020_sc05_0010"]


def test_headers_are_forgiving_about_case_spaces_and_scene() -> None:
    plan = parse_show_setup("\ufeffEpisode, Scene ,Shot,Cut In,cut-out\n,sq1,s1,1,2\n")
    assert plan.valid
    assert plan.specs == [ShotSpec(None, "sq1", "s1", cut_in=1, cut_out=2)]


@pytest.mark.parametrize("separator", [";", "\t"])
def test_excel_semicolon_and_tab_separated_files_read_like_commas(separator: str) -> None:
    """Excel in decimal-comma locales saves "CSV" with ';' (and "Text" with tabs)."""
    plan = parse_show_setup(GOOD.replace(",", separator))
    assert plan.valid
    assert plan.specs == parse_show_setup(GOOD).specs


def test_missing_and_unknown_columns_are_reported_on_line_1() -> None:
    plan = parse_show_setup("episode,shot,colour\nep010,s1,red\n")
    assert [str(e) for e in plan.errors] == [
        "line 1: unknown column(s) colour; known columns: episode, sequence, shot, asset, "
        "cut_in, cut_out, description, status, task_template",
        "line 1: missing column(s): sequence (sequence may be called scene)",
    ]
    assert plan.specs == []


def test_every_bad_row_is_listed_and_no_specs_are_returned() -> None:
    text = (
        "episode,sequence,shot,cut_in,cut_out,status\n"  # line 1
        "ep010,sc01,a,1001,1010,wtg\n"  # 2: fine
        "ep010,sc01,a,1001,1010,wtg\n"  # 3: duplicate shot
        "ep010,sc01,b,1010,1001,\n"  # 4: cut_out before cut_in
        "ep 10,sc02,c,,,\n"  # 5: bad episode value
        "ep010,sc01,d,x,,maybe\n"  # 6: not a number + unknown status
        "\n"  # 7: blank lines are skipped
        "ep020,sc01,e,,,\n"  # 8: sequence moved to another episode
        "ep010,,f,,,\n"  # 9: empty sequence
    )
    plan = parse_show_setup(text)
    assert [(e.line, e.message.split(" (")[0]) for e in plan.errors] == [
        (3, "duplicate shot a"),
        (4, "cut_out 1001 is before cut_in 1010"),
        (5, "episode 'ep 10' is not a valid code"),
        (6, "cut_in 'x' is not a whole number"),
        (6, "unknown status 'maybe'"),
        (8, "sequence sc01 is under episode ep010 on line 2, not ep020"),
        (9, "sequence is empty"),
    ]
    assert plan.specs == []


def test_a_shot_may_repeat_only_to_list_more_assets() -> None:
    text = "episode,sequence,shot,asset\nep1,sc1,a,hero\nep1,sc1,a,city\nep1,sc1,a,hero\n"
    plan = parse_show_setup(text)
    assert [str(e) for e in plan.errors] == ["line 4: duplicate shot a (first on line 2)"]


def test_status_map_codes_are_known_statuses() -> None:
    text = "episode,sequence,shot,status\nep1,sc1,a,cbb\n"
    assert not parse_show_setup(text).valid
    assert parse_show_setup(text, status_map={"cbb": "review"}).valid


def test_empty_and_header_only_files_are_invalid() -> None:
    assert str(parse_show_setup("").errors[0]).startswith("line 1: empty file")
    assert "no rows" in str(parse_show_setup("episode,sequence,shot\n").errors[0])


def test_rows_with_more_values_than_columns_are_reported() -> None:
    plan = parse_show_setup("episode,sequence,shot\nep1,sc1,a,extra\n")
    assert [str(e) for e in plan.errors] == ["line 2: 4 values for 3 columns"]


def test_a_template_fills_defaults_links_assets_and_limits_episodes() -> None:
    template = template_from_dict(
        "episodic",
        {
            "defaults": {"status": "wtg", "cut_in": 1001, "task_template": "Basic Shot"},
            "assets": ["env_city"],
            "episodes": ["ep010"],
        },
    )
    plan = parse_show_setup(
        "episode,sequence,shot,cut_in\nep010,sc1,a,\nep010,sc1,b,990\n", template=template
    )
    assert plan.valid
    assert [(s.shot, s.asset, s.cut_in, s.status, s.task_template) for s in plan.specs] == [
        ("a", None, 1001, "wtg", "Basic Shot"),
        ("b", None, 990, "wtg", "Basic Shot"),
        ("a", "env_city", 1001, "wtg", "Basic Shot"),
        ("b", "env_city", 990, "wtg", "Basic Shot"),
    ]
    bad = parse_show_setup("episode,sequence,shot\nep099,sc1,a\n", template=template)
    assert [e.message for e in bad.errors] == [
        "unknown episode 'ep099' (template episodic has ep010)"
    ]


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"colour": 1}, "unknown template key"),
        ({"defaults": {"fps": 24}}, "unknown default"),
        ({"defaults": {"cut_in": "1001"}}, "whole number"),
        ({"assets": ["bad asset"]}, "invalid code"),
    ],
)
def test_bad_templates_say_what_is_wrong(data: dict[str, object], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        template_from_dict("t", data)
