"""Command groups load lazily, and `onepiece --help` describes them as they describe themselves."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from onepiece.cli.app import app
from onepiece.cli.lazy_group import LazyGroup, build_group


@pytest.mark.parametrize("name", sorted(LazyGroup.groups))
def test_root_help_summary_matches_the_groups_own_help(name: str) -> None:
    group = build_group(name, LazyGroup.groups[name])
    assert group.help is not None
    assert LazyGroup.groups[name].summary == group.help.strip().splitlines()[0]


@pytest.mark.parametrize("name", sorted(LazyGroup.groups))
def test_each_group_answers_help_with_its_commands(name: str) -> None:
    result = CliRunner().invoke(app, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert "Commands:" in result.output


def test_root_help_lists_every_group() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for name in ["info", "profile", "ingest", "serve", "demo", *LazyGroup.groups]:
        assert f"  {name} " in result.output
