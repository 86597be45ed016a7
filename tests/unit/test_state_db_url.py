"""The state database URL: secrets never shown, mistakes refused in one line."""

from __future__ import annotations

import pytest

from onepiece.state.db.engine import describe, normalise_url
from onepiece.state.db.errors import DatabaseUnavailable


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://op:S3cretPW@db.example/state",
        "postgresql://op@db.example/state?password=S3cretPW",
        "postgresql://op@db.example:5433/state?sslmode=require&sslpassword=S3cretPW",
        "postgresql://op@db.example/state?PASSWORD=S3cretPW&application_name=trafalgar",
        "postgresql://op@/state?host=/run/postgresql&password=S3cretPW",
    ],
)
def test_no_secret_of_the_url_is_shown(url: str) -> None:
    shown = describe(normalise_url(url))
    assert "S3cretPW" not in shown and "***" in shown
    assert "db.example" in shown or "state" in shown  # still names the database


def test_what_is_not_a_secret_stays_readable() -> None:
    shown = describe(normalise_url("postgresql://op@db/state?application_name=trafalgar"))
    assert shown == "postgresql+psycopg://op@db/state?application_name=trafalgar"


@pytest.mark.parametrize(
    "url",
    ["postgresql://op@db:notaport/state", "postgresql://op@db:99999999999999999999/state",
     "sqlite:///relative/state.db", "sqlite:///state.db", "not a url", "mysql://op@db/state"],
)  # fmt: skip
def test_a_url_that_cannot_be_used_is_one_clear_error(url: str) -> None:
    with pytest.raises(DatabaseUnavailable) as caught:
        normalise_url(url)
    assert caught.value.hint and "\n" not in caught.value.message


def test_a_relative_sqlite_path_says_how_to_write_it_absolute() -> None:
    with pytest.raises(DatabaseUnavailable) as caught:
        normalise_url("sqlite:///srv/onepiece/state.db")
    assert "sqlite:////srv/onepiece/state.db" in str(caught.value.hint)


def test_an_absolute_sqlite_path_is_kept() -> None:
    assert (
        str(normalise_url("sqlite:////srv/onepiece/state.db").database) == "/srv/onepiece/state.db"
    )
