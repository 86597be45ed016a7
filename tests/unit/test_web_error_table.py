"""The code-to-status table: most specific class wins; every OnePieceError has a code."""

from __future__ import annotations

import pytest

from onepiece import errors
from onepiece.web.error_table import (
    ERROR_TABLE,
    AuthNotConfigured,
    InvalidToken,
    MissingToken,
    code_for,
)
from onepiece.web.errors import envelope


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (MissingToken("x"), ("auth.missing_token", 401)),
        (InvalidToken("x"), ("auth.invalid_token", 401)),
        (AuthNotConfigured("x"), ("auth.not_configured", 503)),
        (errors.TrackerUnavailable("x"), ("tracker.unavailable", 503)),
        (errors.EntityNotFound("x"), ("tracker.not_found", 404)),
        (errors.AdapterUnavailable("x"), ("adapter.unavailable", 503)),
        (errors.AdapterNotImplemented("x"), ("adapter.not_implemented", 501)),
        (errors.JobRejected("x"), ("adapter.job_rejected", 422)),
        (errors.FarmNotFound("x"), ("render.farm_not_found", 404)),
        (errors.JobNotFound("x"), ("render.job_not_found", 404)),
        (errors.StorageUnavailable("x"), ("storage.unavailable", 503)),
        (errors.ValidationError("x"), ("validation.invalid", 422)),
        (errors.ConfigError("x"), ("config.invalid", 500)),
    ],
)
def test_each_error_maps_to_its_documented_code(exc: Exception, expected: tuple[str, int]) -> None:
    assert code_for(exc) == expected


def test_a_new_subclass_inherits_its_parents_code() -> None:
    class ShotGridTimeout(errors.TrackerUnavailable):
        pass

    assert code_for(ShotGridTimeout("slow")) == ("tracker.unavailable", 503)


def test_every_exception_in_the_tree_has_an_entry() -> None:
    tree = [
        cls
        for cls in vars(errors).values()
        if isinstance(cls, type) and issubclass(cls, errors.OnePieceError)
    ]
    assert all(cls in ERROR_TABLE for cls in tree)


def test_codes_are_dotted_and_statuses_are_errors() -> None:
    for code, status in ERROR_TABLE.values():
        assert "." in code and code == code.lower()
        assert 400 <= status <= 599


def test_envelope_leaves_out_empty_hint_and_context() -> None:
    assert envelope("route.not_found", "no route") == {
        "error": {"code": "route.not_found", "message": "no route"}
    }
    full = envelope("x.y", "m", hint="h", context={"k": 1})
    assert full["error"]["hint"] == "h" and full["error"]["context"] == {"k": 1}


def test_the_client_reads_codes_back_from_the_one_table() -> None:
    """Every code of our exception tree maps back to the most general class answering it."""
    from onepiece import errors
    from onepiece.web.error_table import exception_for

    for cls, (code, _status) in ERROR_TABLE.items():
        if cls.__module__ != errors.__name__ or cls is errors.OnePieceError:
            continue
        found = exception_for(code)
        assert found is not None and issubclass(cls, found), (cls, code, found)
    assert exception_for("render.farm_not_found") is errors.FarmNotFound
    assert exception_for("adapter.job_rejected") is errors.JobRejected
    assert exception_for("no.such_code") is None
