"""Names that become folders or keys: one rule, applied wherever they enter (issue 14, item 11)."""

from __future__ import annotations

import pytest

from onepiece.domain.delivery import plan_delivery
from onepiece.domain.manifest import parse_manifest
from onepiece.domain.naming import compile_rules, parse_name
from onepiece.domain.project_tree import specs_from_tree
from onepiece.domain.safe_paths import check_name
from onepiece.domain.show_setup import template_from_dict
from onepiece.errors import ValidationError
from tests.unit.test_delivery_plan import version

UNSAFE = [
    "",
    "   ",
    "..",
    "../x",
    "a/b",
    "a\\b",
    "a..b",
    ".hidden",
    " lead",
    "trail ",
    "tab\there",
    "nl\n",
    "nul\x00",
    "del\x7f",
    "x" * 256,
]
SAFE = ["demo", "FG", "ep010", "sc02_a", "Big Show", "v1.2", "é-clair", "0010"]


@pytest.mark.parametrize("name", UNSAFE)
def test_unsafe_names_are_refused_naming_what(name: str) -> None:
    with pytest.raises(ValidationError, match="^shot .* is not a valid name"):
        check_name(name, "shot")


@pytest.mark.parametrize("name", SAFE)
def test_ordinary_names_pass_unchanged(name: str) -> None:
    assert check_name(name, "project") == name


@pytest.mark.parametrize("episode", ["..", ".ep", "e..p"])
def test_a_show_pattern_capturing_unsafe_fields_is_refused(episode: str) -> None:
    rules = compile_rules(
        r"(?P<show>[A-Z]+)-(?P<episode>[^-]+)-(?P<scene>\w+)-(?P<shot>\w+)-(?P<asset>\w+)"
        r"-v(?P<version>\d+)\.(?P<ext>\w+)"
    )
    assert parse_name("FG-ep1-sc1-0010-comp-v001.mov", rules).episode == "ep1"
    with pytest.raises(ValidationError, match="episode field"):
        parse_name(f"FG-{episode}-sc1-0010-comp-v001.mov", rules)


@pytest.mark.parametrize(("key", "value"), [("episode", ".."), ("scene", ".sc"), ("asset", "a..")])
def test_manifest_name_fields_are_checked(key: str, value: str) -> None:
    row = {"show": "FG", "episode": "ep010", "scene": "sc02", "shot": "0010", "asset": "comp"}
    row[key] = value
    header = ",".join([*row, "version", "delivery_path"])
    text = f"{header}\n{','.join(row.values())},4,a.mov\n"
    manifest = parse_manifest(text, "csv", name="m.csv")
    assert manifest.entries == {}
    assert "is not a valid name" in manifest.problems[0].reason


@pytest.mark.parametrize(("field", "value"), [("episode", ".ep"), ("sequence", "a..b")])
def test_unsafe_tracker_fields_read_back_are_not_delivered(field: str, value: str) -> None:
    plan = plan_delivery([version("A_v001", **{field: value})], "P")
    assert [(p.version, p.kind) for p in plan.problems] == [("A_v001", "unsafe_name")]


@pytest.mark.parametrize("code", ["chair\n", "..", "a..b", ".x", "a/b"])
def test_templates_and_trees_refuse_unsafe_codes(code: str) -> None:
    with pytest.raises(ValueError, match="invalid code"):
        template_from_dict("t", {"assets": [code]})
    replay = specs_from_tree({"shots": [{"code": code, "sequence": "sc01"}]})
    assert replay.errors and not replay.specs
