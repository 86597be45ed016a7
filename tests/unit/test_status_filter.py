"""The status filter every tracker adapter applies to ``list_versions``."""

from __future__ import annotations

import pytest

from onepiece.domain.status import matches_status_filter


@pytest.mark.parametrize("raw", ["apr", "APR", "Approved", "approved"])
def test_bucket_name_matches_every_spelling_in_the_bucket(raw: str) -> None:
    assert matches_status_filter(raw, "approved")


@pytest.mark.parametrize("raw", ["rev", "ip", "fin", None, ""])
def test_bucket_name_does_not_match_other_buckets(raw: str | None) -> None:
    assert not matches_status_filter(raw, "approved")


def test_raw_code_matches_case_insensitively_but_not_its_bucket() -> None:
    assert matches_status_filter("APR", "apr")
    assert not matches_status_filter("Approved", "apr")


def test_bucket_with_spaces_or_underscores_matches() -> None:
    assert matches_status_filter("ip", "In Progress")
    assert matches_status_filter("WIP", "in_progress")


def test_unknown_bucket_matches_missing_and_unmapped_statuses() -> None:
    assert matches_status_filter(None, "unknown")
    assert matches_status_filter("weird", "unknown")
    assert not matches_status_filter("apr", "unknown")


def test_studio_overrides_join_the_bucket() -> None:
    assert matches_status_filter("cbb", "approved", {"cbb": "approved"})
    assert not matches_status_filter("cbb", "approved")
