"""Bounded parsing of user files: JSON depth and number length, YAML alias expansion."""

from __future__ import annotations

import pytest

from onepiece.domain.manifest import parse_manifest
from onepiece.domain.show_setup import parse_show_setup
from onepiece.domain.structured_text import MAX_DEPTH, loads_json, loads_yaml
from onepiece.domain.upstream_manifest import parse_upstream_manifest
from onepiece.errors import ValidationError


@pytest.mark.parametrize(
    "text",
    [
        '{"a": "[[[[[[[[ not nesting, a string ]]]]" , "n": 12345678901234567890}',
        '{"files": [{"x": "' + "9" * 500 + '"}]}',
        "[" * MAX_DEPTH + "]" * MAX_DEPTH,
        '{"esc": "quote \\" [[[[ inside"}',
    ],
)
def test_ordinary_json_is_read(text: str) -> None:
    loads_json(text, "f.json")


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), 1, "nested deeper"),
        ('{"a":\n {"b":\n' + '{"c": ' * 200 + "1" + "}" * 202, 3, "nested deeper"),
        ('{"n":\n\n  ' + "4" * 4301 + "}", 3, "4301 characters"),
        ("[1, 2, 0." + "0" * 300 + "1]", 1, "characters"),
    ],
)
def test_hostile_json_is_refused_with_its_line(text: str, line: int, words: str) -> None:
    with pytest.raises(ValidationError) as caught:
        loads_json(text, "f.json")
    assert f"f.json line {line}" in caught.value.message and words in caught.value.message


def test_a_manifest_number_thousands_of_digits_long_is_a_manifest_error() -> None:
    text = '{"files": [\n {"show": "FG", "version": ' + "1" * 5000 + "}\n]}"
    with pytest.raises(ValidationError, match=r"manifest m\.json line 2"):
        parse_manifest(text, "json", name="m.json")


def test_an_upstream_manifest_nested_deep_is_refused() -> None:
    with pytest.raises(ValidationError, match="nested deeper"):
        parse_upstream_manifest('{"files": ' + "[" * 5000 + "]" * 5000 + "}", "json")


@pytest.mark.parametrize("big", [131_073, 400_000])
def test_a_huge_csv_cell_is_refused_with_its_line(big: int) -> None:
    text = 'episode,sequence,shot,description\nep1,sc1,0010,"' + "x" * big + '"\n'
    with pytest.raises(ValidationError, match=r"shots\.csv is not valid CSV at line 2"):
        parse_show_setup(text, source="shots.csv")
    upstream = 'delivery_path,checksum\na.mov,"' + "y" * big + '"\n'
    with pytest.raises(ValidationError, match="line 2"):
        parse_upstream_manifest(upstream, "csv")


def test_ordinary_yaml_with_a_few_aliases_is_read() -> None:
    data = loads_yaml("base: &b {status: wip}\nshot: *b\nlist: [*b, *b]\n", "t.yaml")
    assert data["list"] == [{"status": "wip"}, {"status": "wip"}]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("a: &a [" + ",".join("x" * 1 for _ in range(100)) + "]\n"
         + "b: &b [" + ",".join(["*a"] * 100) + "]\n"
         + "c: &c [" + ",".join(["*b"] * 100) + "]\n", "aliases expand"),
        ("a0: &a0 {k: v, l: w}\n"
         + "".join(f"a{i}: &a{i} {{x: *a{i - 1}, y: *a{i - 1}}}\n" for i in range(1, 25)),
         "aliases expand"),
        ("root: &r\n  child: *r\n", "contains it"),
        ("x: " + "[" * 500 + "]" * 500 + "\n", "nested deeper"),
        ("x:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 80)) + "  " * 80 + "v\n",
         "nested deeper"),
    ],
    ids=["list-bomb", "mapping-bomb", "self-reference", "deep-flow", "deep-block"],
)  # fmt: skip
def test_hostile_yaml_is_refused(text: str, words: str) -> None:
    with pytest.raises(ValidationError) as caught:
        loads_yaml(text, "t.yaml")
    assert caught.value.message.startswith("t.yaml:") and words in caught.value.message


@pytest.mark.parametrize("text", ['"' + '\\"' * 200_000, '{"a": "x\\', '{"a": "unterminated'])
def test_unterminated_strings_are_invalid_json(text: str) -> None:
    with pytest.raises(ValidationError, match="is not valid JSON"):
        loads_json(text, "f.json")
