"""Bucket, key and metadata rules shared by the storage adapters; part splitting."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from onepiece.adapters.storage.s3.multipart import MAX_PARTS, MIB, _parts, part_size_for
from onepiece.adapters.storage.streaming import ChecksumTee
from onepiece.domain.bucket_names import (
    suggest_bucket,
    validate_bucket,
    validate_folder_bucket,
    validate_key,
    validate_metadata,
    validate_prefix,
)
from onepiece.errors import IntegrityError, ValidationError


@pytest.mark.parametrize("name", ["abc", "vendor-in", "client.out.2024", "a" * 63, "0ab"])
def test_valid_bucket_names(name: str) -> None:
    assert validate_bucket(name) == name


@pytest.mark.parametrize(
    "name", ["ab", "a" * 64, "Vendor", "-abc", "abc-", "a..b", "a.-b", "192.168.1.1", "a_b", ""]
)
def test_invalid_bucket_names(name: str) -> None:
    with pytest.raises(ValidationError, match="invalid bucket name"):
        validate_bucket(name)


@pytest.mark.parametrize(
    "key", ["a", "FG/ep010/sc02/0010/comp/v004/FG_ep010_sc02_0010_comp_v004.1001.exr", ".hidden"]
)
def test_valid_keys(key: str) -> None:
    assert validate_key(key) == key


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("/etc/passwd", "absolute"),
        ("C:/x", "absolute"),
        ("a/../b", "'..'"),
        ("..", "'..'"),
        ("a//b", "empty path segments"),
        ("a/", "empty path segments"),
        ("a\\b", "backslashes"),
        ("a\x00b", "control characters"),
        ("x/.onepiece-tmp-1", "reserved"),
        ("bad\udcffname", "UTF-8"),
        ("a" * 256, "255 bytes"),
        ("a/" * 500 + "b", "longer than"),
    ],
)
def test_invalid_keys_say_why(key: str, reason: str) -> None:
    with pytest.raises(ValidationError, match=reason):
        validate_key(key)


def test_prefix_may_end_with_a_slash_or_be_empty() -> None:
    assert validate_prefix("") == ""
    assert validate_prefix("show/ep010/") == "show/ep010/"
    with pytest.raises(ValidationError):
        validate_prefix("../")


def test_metadata_must_be_s3_compatible() -> None:
    assert validate_metadata({"vendor": "acme", "shot_code": "0010"}) == {
        "vendor": "acme",
        "shot_code": "0010",
    }
    for bad in ({"Vendor": "x"}, {"vendor": "café"}, {"vendor": "a\nb"}, {"k": "x" * 3000}):
        with pytest.raises(ValidationError):
            validate_metadata(bad)


def test_checksum_tee_verifies_a_vendor_md5_while_recording_xxh3() -> None:
    tee = ChecksumTee("xxh3", "md5:5d41402abc4b2a76b9719d911017c592")  # md5("hello")
    tee.update(b"hel")
    tee.update(memoryview(b"lo"))

    tee.verify("x")
    assert tee.checksum() == "xxh3:9555e8555c62dcfd"


def test_checksum_tee_reports_expected_and_actual_on_mismatch() -> None:
    tee = ChecksumTee("xxh3", "xxh3:0000000000000000")
    tee.update(b"hello")

    with pytest.raises(IntegrityError) as caught:
        tee.verify("s3://b/k")
    assert caught.value.context == {
        "expected": "xxh3:0000000000000000",
        "actual": "xxh3:9555e8555c62dcfd",
    }


def test_parts_are_exactly_part_size_except_the_last(tmp_path: Path) -> None:
    data = os.urandom(10 * 1000 + 7)
    path = tmp_path / "f"
    path.write_bytes(data)
    initial_length = 2 * 1000 + 1  # the bytes the caller already read
    with open(path, "rb", buffering=0) as reader:
        assert isinstance(reader, io.FileIO)
        initial = reader.read(initial_length)
        parts = list(_parts(initial, reader, 1000))

    assert [len(p) for p in parts] == [1000] * 10 + [7]
    assert b"".join(parts) == data


def test_part_size_grows_in_whole_mib_past_ten_thousand_parts() -> None:
    assert part_size_for(100 * MIB, 16 * MIB) == 16 * MIB
    grown = part_size_for(500 * 1024 * MIB, 16 * MIB)  # 500 GiB
    assert grown % MIB == 0
    assert grown * MAX_PARTS >= 500 * 1024 * MIB


@pytest.mark.parametrize(
    ("name", "suggested"),
    [("vendor_in", "vendor-in"), ("Client_In", "client-in"), ("FG Publish!", "fg-publish"),
     ("a__b..c", "a-b.c"), ("-x_y-", "x-y")],
)  # fmt: skip
def test_an_s3_bucket_error_suggests_the_nearest_valid_name(name: str, suggested: str) -> None:
    assert suggest_bucket(name) == suggested
    with pytest.raises(ValidationError) as caught:
        validate_bucket(name)
    assert f"S3 would accept {suggested!r}" in (caught.value.hint or "")


@pytest.mark.parametrize("name", ["vendor_in", "client_in", "a_b", "x_1.y-2", "vendor-in"])
def test_folder_buckets_also_take_underscores(name: str) -> None:
    assert validate_folder_bucket(name) == name


@pytest.mark.parametrize("name", ["Vendor_In", "_ab", "ab_", "a._b", "ab", "a/b", "..", "1.2.3.4"])
def test_folder_buckets_refuse_what_is_not_a_plain_lowercase_folder(name: str) -> None:
    with pytest.raises(ValidationError, match="invalid bucket name"):
        validate_folder_bucket(name)
