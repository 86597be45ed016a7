"""Relative paths that cannot escape an archive or a destination folder.

Every name that lands in a ZIP or under a delivery folder comes from tracker
fields or an upstream manifest, so it is untrusted: ``../``, absolute paths,
drive letters, backslashes and control characters are refused here, before
anything is written (zip-slip).
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from onepiece.errors import ValidationError

_DRIVE = re.compile(r"^[A-Za-z]:")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# One path component as written into names: letters, digits and a few marks.
_UNSAFE_CHARS = re.compile(r"[^A-Za-z0-9._#@%+=-]")


def safe_relative_path(name: str) -> str:
    """Return ``name`` as a clean POSIX relative path, or raise ValidationError.

    Refuses empty names, absolute paths, drive letters, backslashes, control
    characters, ``.`` and ``..`` components.
    """
    if not name or not name.strip():
        raise ValidationError("empty entry name")
    if _CONTROL.search(name):
        raise ValidationError(f"entry name {name!r} contains control characters")
    if "\\" in name:
        raise ValidationError(f"entry name {name!r} contains a backslash")
    if name.startswith("/") or _DRIVE.match(name):
        raise ValidationError(
            f"entry name {name!r} is absolute", hint="names must be relative to the package"
        )
    parts = name.split("/")
    for part in parts:
        if part in ("", ".", ".."):
            raise ValidationError(
                f"entry name {name!r} would escape the package or is not normalised",
                hint="remove '..', '.' and empty components",
            )
    return str(PurePosixPath(*parts))


def safe_component(value: str, *, what: str = "name") -> str:
    """Clean a single folder or file name component (no separators)."""
    if not value or value in (".", "..") or "/" in value or "\\" in value:
        raise ValidationError(f"{what} {value!r} is not a safe folder or file name")
    if _CONTROL.search(value):
        raise ValidationError(f"{what} {value!r} contains control characters")
    return value


NAME_HINT = "use letters, digits, spaces, '_', '-' and '.' (not first, never '..')"


def check_name(value: str, what: str) -> str:
    """A name that becomes a folder or a key (project, show, episode, shot, asset,
    playlist...): refuse what could leave its folder or hide in a listing.

    Empty names, a leading '.' or space, '/', '\\', '..' and control characters
    are refused with a ValidationError naming ``what``; the name is returned as is.
    """
    problem = _name_problem(value)
    if problem:
        raise ValidationError(f"{what} {value!r} is not a valid name: {problem}", hint=NAME_HINT)
    return value


def _name_problem(value: str) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return "it is empty"
    if "/" in value or "\\" in value:
        return "it contains a path separator"
    if ".." in value:
        return "it contains '..'"
    if _CONTROL.search(value):
        return "it contains control characters"
    if value[0] in ". " or value[-1] == " ":
        return "it starts with '.' or starts or ends with a space"
    if len(value.encode("utf-8", "surrogatepass")) > 255:
        return "it is longer than 255 bytes"
    return None


def slug(value: str) -> str:
    """A component made safe by replacing unusual characters with ``_``."""
    cleaned = _UNSAFE_CHARS.sub("_", value.strip()).strip("._")
    if not cleaned:
        raise ValidationError(f"{value!r} gives an empty folder name")
    return cleaned


def is_within(child: str, parent: str) -> bool:
    """Is POSIX/OS path ``child`` equal to or below ``parent`` (both absolute, resolved)?"""
    child_parts = PurePosixPath(child).parts
    parent_parts = PurePosixPath(parent).parts
    return child_parts[: len(parent_parts)] == parent_parts
