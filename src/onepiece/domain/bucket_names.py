"""Bucket names, object keys and metadata that every storage adapter accepts.

Keys and metadata follow the intersection of what S3 and a POSIX folder tree
can hold, so an object can move between them unchanged. Bucket names follow
S3's rules, except that a local bucket is a folder and may hold ``_`` (the
original specification's ``vendor_in``). Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from onepiece.errors import ValidationError

# Temporary objects and files carry this marker; user keys may not, so a
# listing can skip them without ever hiding a real object.
RESERVED_MARKER = ".onepiece-"
# S3: multipart uploads land under this prefix before the verified copy.
PARTIAL_PREFIX = ".onepiece-partial/"
# Leave room for PARTIAL_PREFIX + a 32-digit token within S3's 1024-byte limit.
MAX_KEY_BYTES = 960
# S3 caps user metadata at 2 KiB (keys + values).
MAX_METADATA_BYTES = 2048

_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
# A folder can hold '_' (the original specification's `vendor_in`); S3 cannot.
_FOLDER_BUCKET = re.compile(r"[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]")
_IPV4 = re.compile(r"\d{1,3}(\.\d{1,3}){3}")
_METADATA_KEY = re.compile(r"[a-z0-9][a-z0-9_-]*")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_DRIVE = re.compile(r"[A-Za-z]:")  # a Windows drive: C:...


def validate_bucket(bucket: str) -> str:
    """S3's rules: 3-63 lowercase letters, digits, dots and hyphens."""
    if not _bucket_ok(bucket, _BUCKET):
        suggestion = suggest_bucket(bucket)
        raise ValidationError(
            f"invalid bucket name {bucket!r}",
            hint=(f"S3 would accept {suggestion!r}; " if suggestion else "")
            + "use 3 to 63 lowercase letters, digits, dots or hyphens, "
            "starting and ending with a letter or digit",
        )
    return bucket


def validate_folder_bucket(bucket: str) -> str:
    """Local storage, where a bucket is a folder: S3's rules, and '_' is allowed too.

    Still lowercase: on a case-insensitive disk ``Vendor`` and ``vendor`` would
    be one folder.
    """
    if not _bucket_ok(bucket, _FOLDER_BUCKET):
        raise ValidationError(
            f"invalid bucket name {bucket!r}",
            hint="use 3 to 63 lowercase letters, digits, dots, hyphens or underscores, "
            "starting and ending with a letter or digit",
        )
    return bucket


def _bucket_ok(bucket: str, pattern: re.Pattern[str]) -> bool:
    return (
        isinstance(bucket, str)
        and pattern.fullmatch(bucket) is not None
        and not any(pair in bucket for pair in ("..", ".-", "-.", "._", "_."))
        and not _IPV4.fullmatch(bucket)
    )


def suggest_bucket(bucket: str) -> str | None:
    """The nearest name S3 accepts (``vendor_in`` -> ``vendor-in``), if there is one."""
    if not isinstance(bucket, str):
        return None
    name = re.sub(r"[^a-z0-9.-]+", "-", bucket.strip().lower())
    name = re.sub(r"[.-]*-[.-]*", "-", re.sub(r"\.{2,}", ".", name))
    name = name[:63].strip(".-")
    return name if _bucket_ok(name, _BUCKET) else None


def validate_key(key: str) -> str:
    """A relative, normalised path: no leading '/', no '.', '..' or empty segments."""
    problem = _key_problem(key)
    if problem:
        raise ValidationError(
            f"invalid object key {key!r}: {problem}",
            hint="use a relative path such as 'show/ep010/sc02/0010/comp/v004/file.mov'",
        )
    return key


def _key_problem(key: str) -> str | None:
    if not isinstance(key, str) or not key:
        return "empty"
    if "\\" in key:
        return "backslashes are not allowed (use '/')"
    if key.startswith("/") or _DRIVE.match(key):
        return "absolute paths are not allowed"
    if _CONTROL.search(key):
        return "control characters are not allowed"
    try:
        size = len(key.encode("utf-8"))
    except UnicodeEncodeError:
        return "not valid UTF-8"
    if size > MAX_KEY_BYTES:
        return f"longer than {MAX_KEY_BYTES} bytes"
    ascii_only = size == len(key)  # then a segment's bytes are its characters
    for segment in key.split("/"):
        if segment == "":
            return "empty path segments ('//' or a trailing '/') are not allowed"
        if segment in (".", ".."):
            return "'.' and '..' segments are not allowed"
        if segment.startswith(RESERVED_MARKER):
            return f"segments starting with {RESERVED_MARKER!r} are reserved"
        if (len(segment) if ascii_only else len(segment.encode("utf-8"))) > 255:
            return "a path segment is longer than 255 bytes"
    return None


def validate_prefix(prefix: str) -> str:
    """A listing prefix: empty, or a key that may end in '/'."""
    if prefix:
        validate_key(prefix[:-1] if prefix.endswith("/") else prefix)
    return prefix


def validate_metadata(metadata: Mapping[str, str] | None) -> dict[str, str]:
    """User metadata as S3 stores it: lowercase keys, printable ASCII values."""
    clean: dict[str, str] = {}
    for name, value in (metadata or {}).items():
        if not isinstance(name, str) or not _METADATA_KEY.fullmatch(name):
            raise ValidationError(
                f"invalid metadata key {name!r}",
                hint="use lowercase letters, digits, '-' and '_'",
            )
        if not isinstance(value, str) or not value.isascii() or not value.isprintable():
            raise ValidationError(
                f"metadata {name!r} must be printable ASCII text",
                hint="encode other values (e.g. percent-encoding) before storing them",
            )
        clean[name] = value
    if sum(len(k) + len(v) for k, v in clean.items()) > MAX_METADATA_BYTES:
        raise ValidationError(f"metadata is larger than {MAX_METADATA_BYTES} bytes")
    return clean
