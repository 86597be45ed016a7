"""Checksums written as ``algo:hexdigest`` (``xxh3:``, ``md5:``, ``sha256:``).

``xxh3`` is XXH3-64 (what ``xxhsum -H3`` prints); a 32-digit ``xxh3:`` value
is read as XXH3-128 so vendors using either width verify. The ASC MHL formats
(``xxh64``, ``xxh128``, ``sha1``, ``c4``) are accepted too, so a vendor's
hash list is checked in its own format (docs/mhl.md).
"""

from __future__ import annotations

import hashlib
from typing import Protocol

import xxhash

from onepiece.errors import ValidationError

ALGORITHMS = ("xxh3", "md5", "sha256")  # what OnePiece records
# Read too, so a vendor's ASC MHL is checked in its own format.
MHL_ALGORITHMS = ("xxh64", "xxh128", "sha1", "c4")
KNOWN_ALGORITHMS = ALGORITHMS + MHL_ALGORITHMS
_HEX_LENGTHS = {
    "xxh3": (16, 32),
    "md5": (32,),
    "sha256": (64,),
    "xxh64": (16,),
    "xxh128": (32,),
    "sha1": (40,),
}
# C4 ID (SMPTE ST 2114): "c4" + the SHA-512 digest in base58, left-padded with "1" to 88.
_C4_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_C4_LENGTH = 90


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
    if algorithm == "xxh64":
        return xxhash.xxh64()
    if algorithm == "xxh128":
        return xxhash.xxh3_128()
    if algorithm == "sha1":
        return hashlib.sha1(usedforsecurity=False)
    if algorithm == "c4":
        return C4Hasher()
    raise ValidationError(
        f"unknown checksum algorithm {algorithm!r}", hint=f"use one of {', '.join(ALGORITHMS)}"
    )


def parse_checksum(value: str) -> tuple[str, str]:
    """Split ``algo:hex`` into its parts, validating both."""
    algorithm, sep, digest = value.strip().partition(":")
    algorithm = algorithm.lower()
    digest = digest.lower()
    if not sep or algorithm not in KNOWN_ALGORITHMS:
        raise ValidationError(
            f"checksum {value!r} is not written as algo:hexdigest",
            hint="write md5:..., sha256:... or xxh3:...",
        )
    if algorithm == "c4":
        digest = digest_part(value)  # base58 is case-sensitive
        if not is_c4(digest):
            raise ValidationError(f"checksum {value!r} is not a valid c4 id")
        return algorithm, digest
    if len(digest) not in _HEX_LENGTHS[algorithm] or any(
        c not in "0123456789abcdef" for c in digest
    ):
        raise ValidationError(f"checksum {value!r} is not a valid {algorithm} digest")
    return algorithm, digest


def digest_part(value: str) -> str:
    return value.strip().partition(":")[2]


def is_c4(digest: str) -> bool:
    return (
        len(digest) == _C4_LENGTH
        and digest.startswith("c4")
        and all(c in _C4_ALPHABET for c in digest[2:])
    )


def c4_id(sha512_digest: bytes) -> str:
    """The C4 ID of a SHA-512 digest."""
    number = int.from_bytes(sha512_digest, "big")
    letters = []
    while number:
        number, rest = divmod(number, 58)
        letters.append(_C4_ALPHABET[rest])
    encoded = "".join(reversed(letters))
    return "c4" + encoded.rjust(_C4_LENGTH - 2, "1")


class C4Hasher:
    """Streams SHA-512 and answers with the C4 ID (as ``hexdigest``, like the others)."""

    def __init__(self) -> None:
        self._sha = hashlib.sha512()

    def update(self, data: bytes, /) -> None:
        self._sha.update(data)

    def hexdigest(self) -> str:
        return c4_id(self._sha.digest())


def format_checksum(algorithm: str, digest: str) -> str:
    return f"{algorithm}:{digest}"
