"""Delivery file names: ``SHOW_EPISODE_SCENE_SHOT_ASSET_vNNN.ext`` and frame files.

The documented convention is ``FG_ep010_sc02_0010_comp_v004.mov`` for a single
file and ``FG_ep010_sc02_0010_comp_v004.1001.exr`` for one frame of a sequence.
Show codes are 2 to 8 letters or digits; the other fields letters, digits and
``-``; the version is ``v`` and at least three digits, never ``v000``.

A show may replace the pattern (``[shows.CODE] name_pattern`` in onepiece.toml)
with any regular expression that has the named groups ``show``, ``episode``,
``scene``, ``shot``, ``asset``, ``version`` and ``ext`` (``frame`` optional).
When the default pattern rejects a name, ``diagnose`` says which field is wrong
rather than only "does not match".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from onepiece.domain.safe_paths import check_name
from onepiece.errors import ConfigError, ValidationError

FIELD_CHARS = r"[A-Za-z0-9-]+"
SHOW_CHARS = r"[A-Za-z0-9]{2,8}"
DEFAULT_NAME_PATTERN = (
    rf"^(?P<show>{SHOW_CHARS})_(?P<episode>{FIELD_CHARS})_(?P<scene>{FIELD_CHARS})"
    rf"_(?P<shot>{FIELD_CHARS})_(?P<asset>{FIELD_CHARS})_v(?P<version>[0-9]{{3,}})"
    r"(?:\.(?P<frame>[0-9]+))?\.(?P<ext>[A-Za-z0-9]+)$"
)
REQUIRED_GROUPS = ("show", "episode", "scene", "shot", "asset", "version", "ext")
NAME_FIELDS = ("show", "episode", "scene", "shot", "asset")


@dataclass(frozen=True)
class NamingRules:
    """A compiled naming pattern and the show code names must carry."""

    pattern: re.Pattern[str]
    show_code: str | None = None
    is_default: bool = True


@dataclass(frozen=True)
class ParsedName:
    filename: str
    show: str
    episode: str
    scene: str
    shot: str
    asset: str
    version: int
    ext: str
    code: str  # the Version code: the name without frame number and extension
    frame: int | None = None
    frame_width: int = 0  # digits as delivered, e.g. 4 for .1001.

    @property
    def is_frame(self) -> bool:
        return self.frame is not None


def compile_rules(pattern: str | None = None, show_code: str | None = None) -> NamingRules:
    """Compile a show's pattern (or the default). Raises ConfigError when unusable."""
    if not pattern:
        return NamingRules(re.compile(DEFAULT_NAME_PATTERN), show_code, True)
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise ConfigError(
            f"name_pattern {pattern!r} is not a valid regular expression: {exc}",
            hint="fix [shows.CODE] name_pattern in onepiece.toml",
        ) from exc
    missing = [g for g in REQUIRED_GROUPS if g not in compiled.groupindex]
    if missing:
        raise ConfigError(
            f"name_pattern {pattern!r} lacks the named groups {', '.join(missing)}",
            hint="use (?P<show>...), (?P<episode>...), ... (see docs/configuration.md)",
        )
    return NamingRules(compiled, show_code, False)


def format_name(
    show: str,
    episode: str,
    scene: str,
    shot: str,
    asset: str,
    version: int,
    ext: str,
    *,
    frame: int | None = None,
    frame_width: int = 4,
    version_width: int = 3,
) -> str:
    """Build a name in the default convention (the inverse of ``parse_name``)."""
    name = f"{show}_{episode}_{scene}_{shot}_{asset}_v{version:0{version_width}d}"
    if frame is not None:
        name += f".{frame:0{frame_width}d}"
    return f"{name}.{ext}"


def parse_name(filename: str, rules: NamingRules) -> ParsedName:
    """Parse one file name. Raises ValidationError saying what is wrong."""
    match = rules.pattern.fullmatch(filename)
    if match is None:
        if rules.is_default:
            reason = diagnose(filename)
        else:
            reason = f"name does not match the show's naming pattern {rules.pattern.pattern!r}"
        raise ValidationError(reason, context={"filename": filename})
    groups = match.groupdict()
    fields = {key: groups[key] or "" for key in (*NAME_FIELDS, "ext")}
    for key, value in fields.items():
        if not value:
            raise ValidationError(f"the {key} field is empty", context={"filename": filename})
        # A show's own pattern may capture anything: the fields become storage keys.
        check_name(value, f"the {key} field")
    version = _version_number(groups["version"])
    frame_text = groups.get("frame")
    frame = None
    if frame_text:
        if not frame_text.isdigit():
            raise ValidationError(f"bad frame number {frame_text!r}")
        frame = int(frame_text)
    # Case-sensitive (docs/decisions.md): "fg_..." is not a file of show "FG".
    if rules.show_code and fields["show"] != rules.show_code:
        raise ValidationError(
            f"show {fields['show']!r} in the name does not match the show code {rules.show_code!r}",
            hint="pass the right --show-code or fix the file name",
        )
    # The Version code is everything before the frame number (or the extension).
    end = match.start("frame") if frame_text else match.start("ext")
    code = filename[:end].rstrip("._-")
    return ParsedName(
        filename=filename,
        version=version,
        code=code,
        frame=frame,
        frame_width=len(frame_text) if frame_text else 0,
        **fields,
    )


def _version_number(text: str | None) -> int:
    digits = (text or "").lstrip("vV")
    if not digits.isdigit():
        raise ValidationError(f"bad version number {text!r}: write v followed by digits (v004)")
    number = int(digits)
    if number < 1:
        raise ValidationError(f"bad version number {text!r}: versions start at v001")
    return number


_VERSION_RE = re.compile(r"v[0-9]{3,}")


def diagnose(filename: str) -> str:
    """Why ``filename`` does not follow the default convention, in one sentence."""
    expected = "SHOW_EPISODE_SCENE_SHOT_ASSET_vNNN.ext (e.g. FG_ep010_sc02_0010_comp_v004.mov)"
    stem, dot, ext = filename.rpartition(".")
    if not dot or not stem or not ext:
        return f"no file extension: expected {expected}"
    if not re.fullmatch(r"[A-Za-z0-9]+", ext):
        return f"bad file extension {ext!r}: expected {expected}"
    parts = stem.split("_")
    if len(parts) != 6:
        return f"expected 6 fields separated by '_', found {len(parts)}: {expected}"
    show, *middle, last = parts
    if not re.fullmatch(SHOW_CHARS, show):
        return f"show code {show!r} must be 2 to 8 letters or digits"
    for label, value in zip(("episode", "scene", "shot", "asset"), middle, strict=True):
        if not re.fullmatch(FIELD_CHARS, value):
            return f"{label} {value!r} may only contain letters, digits and '-'"
    version_text, _, frame_text = last.partition(".")
    if not _VERSION_RE.fullmatch(version_text):
        return f"bad version number {version_text!r}: write v followed by at least 3 digits (v004)"
    if frame_text and not frame_text.isdigit():
        return f"bad frame number {frame_text!r}: frames are digits (….v004.1001.exr)"
    if int(version_text[1:]) < 1:
        return f"bad version number {version_text!r}: versions start at v001"
    return f"name does not match {expected}"
