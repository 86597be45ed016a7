"""Checksums written as ``algo:hexdigest`` (``xxh3:``, ``md5:``, ``sha256:``).

``xxh3`` is XXH3-64 (what ``xxhsum -H3`` prints); a 32-digit ``xxh3:`` value
is read as XXH3-128 so vendors using either width verify.
"""

from __future__ import annotations

import hashlib
from typing import Protocol

import xxhash

from onepiece.errors import ValidationError

ALGORITHMS = ("xxh3", "md5", "sha256")
_HEX_LENGTHS = {"xxh3": (16, 32), "md5": (32,), "sha256": (64,)}


class Hasher(Protocol):
    def update(self, data: bytes, /) -> None: ...
    def hexdigest(self) -> str: ...


def new_hasher(algorithm: str, digest_length: int | None = None) -> Hasher:
    """A streaming hasher; ``digest_length`` picks the xxh3 width when verifying."""
    if algorithm == "xxh3":
        return xxhash.xxh3_128() if digest_length == 32 else xxhash.xxh3_64()
    if algorithm == "md5":
        return hashlib.md5(usedforsecurity=False)
    if algorithm == "sha256":
        return hashlib.sha256()
    raise ValidationError(
        f"unknown checksum algorithm {algorithm!r}", hint=f"use one of {', '.join(ALGORITHMS)}"
    )


def parse_checksum(value: str) -> tuple[str, str]:
    """Split ``algo:hex`` into its parts, validating both."""
    algorithm, sep, digest = value.strip().partition(":")
    algorithm = algorithm.lower()
    digest = digest.lower()
    if not sep or algorithm not in ALGORITHMS:
        raise ValidationError(
            f"checksum {value!r} is not written as algo:hexdigest",
            hint="write md5:..., sha256:... or xxh3:...",
        )
    if len(digest) not in _HEX_LENGTHS[algorithm] or any(
        c not in "0123456789abcdef" for c in digest
    ):
        raise ValidationError(f"checksum {value!r} is not a valid {algorithm} digest")
    return algorithm, digest


def format_checksum(algorithm: str, digest: str) -> str:
    return f"{algorithm}:{digest}"
