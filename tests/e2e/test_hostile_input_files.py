"""Files built to exhaust a parser are bad input: exit 4, one line naming the file and line.

Issue 14 items 9 and 10: YAML alias bombs, oversized templates, JSON nested
100,000 deep, numbers thousands of digits long and CSV cells past 128 KiB
ended in MemoryError, minutes of parsing or "unexpected error, this is a bug".
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import Run
from tests.e2e.test_cli_errors import one_error_line
from tests.ingest_support import CLIP

SHOW_SETUP_CSV = "episode,sequence,shot\nep010,sc01,0010\n"


def _alias_bomb(fanout: int, levels: int, *, mapping: bool) -> str:
    """A few lines of YAML whose aliases expand to fanout**levels values."""
    lines = ["description: bomb", "defaults: {}"]
    lines.append("x0: &a0 [" + ", ".join(["lol"] * fanout) + "]")
    for level in range(1, levels):
        if mapping:
            items = ", ".join(f"k{i}: *a{level - 1}" for i in range(fanout))
            lines.append(f"x{level}: &a{level} {{{items}}}")
        else:
            lines.append(f"x{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * fanout) + "]")
    lines.append(f"assets: [*a{levels - 1}]")
    return "\n".join(lines) + "\n"


def _show_setup(onepiece: Run, tmp_path: Path, template: Path) -> tuple[int, str]:
    csv_file = tmp_path / "shots.csv"
    csv_file.write_text(SHOW_SETUP_CSV, encoding="utf-8")
    result = onepiece(
        "shotgrid", "show-setup", str(csv_file), "-p", "OP", "--template", str(template)
    )
    return result.returncode, one_error_line(result.stderr)


@pytest.mark.parametrize(
    ("fanout", "levels", "mapping"),
    [(10, 7, False), (12, 6, True), (3, 14, False)],
    ids=["list-10x7", "mapping-12x6", "list-3x14"],
)
def test_a_yaml_alias_bomb_template_is_refused(
    onepiece: Run, tmp_path: Path, fanout: int, levels: int, mapping: bool
) -> None:
    template = tmp_path / "bomb.yaml"
    template.write_text(_alias_bomb(fanout, levels, mapping=mapping), encoding="utf-8")
    code, line = _show_setup(onepiece, tmp_path, template)
    assert code == 4
    assert str(template) in line and "aliases expand" in line


def test_a_self_referencing_alias_in_a_template_is_refused(onepiece: Run, tmp_path: Path) -> None:
    template = tmp_path / "loop.yml"
    template.write_text("defaults: {}\nassets: &me [chair, *me]\n", encoding="utf-8")
    code, line = _show_setup(onepiece, tmp_path, template)
    assert code == 4
    assert f"{template}:2" in line and "refers to a value that contains it" in line


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_a_template_past_the_size_limit_is_refused(
    onepiece: Run, tmp_path: Path, suffix: str
) -> None:
    template = tmp_path / f"huge{suffix}"
    filler = "x" * (2 * 1024 * 1024)
    body = f"description: {filler}\n" if suffix == ".yaml" else f'{{"description": "{filler}"}}'
    template.write_text(body, encoding="utf-8")
    code, line = _show_setup(onepiece, tmp_path, template)
    assert code == 4
    assert str(template) in line and "larger than 1 MiB" in line


@pytest.mark.parametrize(
    ("body", "line_no", "words"),
    [
        ('{\n  "files":\n' + "[" * 100_000 + "]" * 100_000 + "}", 3, "nested deeper"),
        ('{"files": [{\n"version": 1,\n"x": ' + "7" * 5000 + "}]}", 3, "5000 characters"),
        ('{"files": [{"version": -' + "1" * 4400 + ".5e3}]}", 1, "characters"),
    ],
    ids=["nested-100000", "5000-digit-int", "long-float"],
)
def test_a_hostile_json_manifest_is_bad_input_with_its_line(
    onepiece: Run, tmp_path: Path, body: str, line_no: int, words: str
) -> None:
    folder = tmp_path / "delivery"
    folder.mkdir()
    (folder / CLIP).write_bytes(b"clip")
    manifest = tmp_path / "vendor.json"
    manifest.write_text(body, encoding="utf-8")
    result = onepiece("ingest", str(folder), "-p", "demo", "-s", "FG", "--manifest", str(manifest))
    assert result.returncode == 4
    line = one_error_line(result.stderr)
    assert str(manifest) in line and f"line {line_no}" in line and words in line


@pytest.mark.parametrize("cell_kib", [129, 300])
def test_a_show_setup_csv_cell_past_128_kib_is_bad_input(
    onepiece: Run, tmp_path: Path, cell_kib: int
) -> None:
    csv_file = tmp_path / "shots.csv"
    big = "d" * (cell_kib * 1024)
    csv_file.write_text(
        f'episode,sequence,shot,description\nep010,sc01,0010,ok\nep010,sc01,0020,"{big}"\n',
        encoding="utf-8",
    )
    result = onepiece("shotgrid", "show-setup", str(csv_file), "-p", "OP")
    assert result.returncode == 4
    line = one_error_line(result.stderr)
    assert str(csv_file) in line and "line 3" in line and "128 KiB" in line


def test_a_deeply_nested_project_tree_is_bad_input(onepiece: Run, tmp_path: Path) -> None:
    tree = tmp_path / "tree.json"
    tree.write_text('{"episodes": []\n,"shots": ' + "[" * 50_000 + "]" * 50_000 + "}")
    result = onepiece("shotgrid", "templates", "apply", str(tree), "-p", "OP")
    assert result.returncode == 4
    line = one_error_line(result.stderr)
    assert str(tree) in line and "line 2" in line and "nested deeper" in line


def test_a_deeply_nested_yaml_project_tree_is_bad_input(onepiece: Run, tmp_path: Path) -> None:
    tree = tmp_path / "tree.yaml"
    tree.write_text("episodes: []\nshots: " + "[" * 20_000 + "]" * 20_000 + "\n")
    result = onepiece("shotgrid", "templates", "apply", str(tree), "-p", "OP")
    assert result.returncode == 4
    line = one_error_line(result.stderr)
    assert f"{tree}:2" in line and "nested deeper" in line


@pytest.mark.parametrize(
    "value",
    ["1" * 5000, "[" * 50_000 + "]" * 50_000, "{a = " * 3000 + "1" + "}" * 3000],
    ids=["5000-digit-int", "nested-arrays", "nested-tables"],
)
def test_a_hostile_onepiece_toml_is_a_configuration_error(
    onepiece: Run, tmp_path: Path, value: str
) -> None:
    """Configuration, not a bug: exit 3 (documented for malformed onepiece.toml), one line."""
    toml = tmp_path / "onepiece.toml"
    toml.write_text(f'project = "demo"\nx = {value}\n', encoding="utf-8")
    result = onepiece("profile", cwd=tmp_path)
    assert result.returncode == 3, result.stderr
    assert f"malformed TOML in {toml}" in one_error_line(result.stderr)


@pytest.mark.parametrize("cell_kib", [130, 512])
def test_a_csv_manifest_cell_past_128_kib_is_bad_input(
    onepiece: Run, tmp_path: Path, cell_kib: int
) -> None:
    folder = tmp_path / "delivery"
    folder.mkdir()
    (folder / CLIP).write_bytes(b"clip")
    manifest = tmp_path / "vendor.csv"
    header = "show,episode,scene,shot,asset,version,delivery_path,notes"
    row = f'FG,ep010,sc02,0010,comp,1,{CLIP},"{"n" * cell_kib * 1024}"'
    manifest.write_text(f"{header}\n{row}\n", encoding="utf-8")
    result = onepiece("ingest", str(folder), "-p", "demo", "-s", "FG", "--manifest", str(manifest))
    assert result.returncode == 4
    line = one_error_line(result.stderr)
    assert str(manifest) in line and "line 2" in line and "128 KiB" in line


def test_a_project_tree_past_its_size_limit_is_refused(onepiece: Run, tmp_path: Path) -> None:
    tree = tmp_path / "tree.yaml"
    tree.write_text("# " + "x" * (17 * 1024 * 1024) + "\nshots: []\n", encoding="utf-8")
    result = onepiece("shotgrid", "templates", "apply", str(tree), "-p", "OP")
    assert result.returncode == 4
    line = one_error_line(result.stderr)
    assert str(tree) in line and "larger than 16 MiB" in line
