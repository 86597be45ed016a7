"""ASC Media Hash Lists: read MHL v2 generations, chain files and MHL v1; write v2.

Pure: bytes in, dataclasses out (and back). An ASC MHL v2 history is an
``ascmhl/`` folder of generations ``NNNN_<folder>_<date>.mhl`` and
``ascmhl_chain.xml``, which records each generation's C4 ID so a generation
altered later is caught. Hash formats and their encodings are the spec's:
lower-case hex for md5, sha1, xxh64, xxh3 (XXH3-64), xxh128 (XXH3-128), and
the C4 ID (base58 of SHA-512). Every path inside a list is untrusted: it must
be relative and stay inside the folder (no ``..``, no absolute path).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from onepiece.domain.checksums import is_c4
from onepiece.domain.mhl_ignore import ignore_spec
from onepiece.domain.mhl_xml import Node, escape, parse_xml
from onepiece.domain.safe_paths import safe_relative_path
from onepiece.errors import ValidationError

HISTORY_FOLDER = "ascmhl"
CHAIN_FILE = "ascmhl_chain.xml"
# The order the XSD requires inside a <hash> element.
HASH_FORMATS = ("c4", "md5", "sha1", "xxh128", "xxh3", "xxh64")
DEFAULT_IGNORE = (".DS_Store", HISTORY_FOLDER, f"{HISTORY_FOLDER}/")
# Fastest first: the one format a listed file is checked in.
CHECK_ORDER = ("xxh128", "xxh3", "xxh64", "md5", "sha1", "c4")
_HEX_LENGTHS = {"md5": 32, "sha1": 40, "xxh128": 32, "xxh3": 16, "xxh64": 16}
# MHL v1 element names -> (our format, digest is little-endian hex)
_V1_FORMATS = {"md5": ("md5", False), "sha1": ("sha1", False), "xxhash64be": ("xxh64", False)}
_V1_FORMATS["xxhash64"] = ("xxh64", True)
GENERATION_NAME = re.compile(r"^(\d{4,})_(.+)_(\d{4}-\d{2}-\d{2}_\d{6}Z)\.mhl$")


@dataclass(frozen=True)
class MhlEntry:
    path: str  # relative to the folder the list describes, '/'-separated
    hashes: dict[str, str]  # format -> digest, in the spec's encoding
    size: int | None = None
    previous_path: str | None = None  # a rename recorded by this generation
    where: str = ""  # "<file> line N", for messages


@dataclass
class HashList:
    name: str
    entries: list[MhlEntry] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    version: int = 2
    snapshot: bool = False  # lists the whole folder (it has a root hash), not single files
    directories: list[str] = field(default_factory=list)  # folders with a directory hash


@dataclass(frozen=True)
class ChainLink:
    number: int
    filename: str
    c4: str


@dataclass(frozen=True)
class Creator:
    tool: str
    tool_version: str
    hostname: str
    author: str | None
    created: datetime  # timezone-aware
    comment: str | None = None


def parse_hashlist(data: bytes, name: str, base: str = "") -> HashList:
    """A v2 generation or a v1 list; ``base`` is where the paths are relative to (the
    folder holding a loose list, from the delivery's root)."""
    root = parse_xml(data, name)
    if root.tag != "hashlist":
        raise ValidationError(f"{name} line {root.line}: not a hash list (<{root.tag}>)")
    version = root.attrs.get("version", "")
    if version.startswith("2"):
        return _parse_v2(root, name, base)
    if version.startswith("1"):
        return _parse_v1(root, name, base)
    raise ValidationError(f"{name} line {root.line}: unsupported MHL version {version!r}")


def _parse_v2(root: Node, name: str, base: str) -> HashList:
    result = HashList(name)
    process = root.find("processinfo")
    ignore = process.find("ignore") if process is not None else None
    if ignore is not None:
        result.ignore = [p.text.strip() for p in ignore.all("pattern")]
    result.snapshot = process is not None and process.find("roothash") is not None
    hashes = root.find("hashes")
    for node in hashes.all("directoryhash") if hashes is not None else []:
        where = f"{name} line {node.line}"
        result.directories.append(_located(base, node.child_text("path"), where))
    for node in hashes.all("hash") if hashes is not None else []:
        where = f"{name} line {node.line}"
        path = _located(base, node.child_text("path"), where)
        digests: dict[str, str] = {}
        for child in node.children:
            if child.tag in ("path", "previousPath", "metadata"):
                continue
            algorithm = _format(child.tag, where)
            digests[algorithm] = _digest(algorithm, child.text, where)
        if not digests:
            raise ValidationError(f"{where}: no hash for {path}")
        previous = node.child_text("previousPath")
        size_node = node.find("path")
        result.entries.append(
            MhlEntry(
                path,
                digests,
                _size(size_node.attrs.get("size") if size_node else None, where),
                _located(base, previous, where) if previous else None,
                where,
            )
        )
    return result


def _parse_v1(root: Node, name: str, base: str) -> HashList:
    result = HashList(name, version=1)
    for node in root.all("hash"):
        where = f"{name} line {node.line}"
        path = _located(base, node.child_text("file"), where)
        digests: dict[str, str] = {}
        for child in node.children:
            if child.tag in _V1_FORMATS:
                algorithm, little_endian = _V1_FORMATS[child.tag]
                digest = _digest(algorithm, child.text, where)
                digests[algorithm] = _swap(digest) if little_endian else digest
            elif child.tag in ("xxhash", "null"):
                raise ValidationError(
                    f"{where}: hash format {child.tag!r} is not supported",
                    hint="ask for md5, sha1 or xxhash64be",
                )
        if not digests:
            raise ValidationError(f"{where}: no supported hash for {path}")
        result.entries.append(
            MhlEntry(path, digests, _size(node.child_text("size"), where), None, where)
        )
    return result


def parse_chain(data: bytes, name: str) -> list[ChainLink]:
    root = parse_xml(data, name)
    if root.tag != "ascmhldirectory":
        raise ValidationError(f"{name} line {root.line}: not an ASC MHL chain (<{root.tag}>)")
    links = []
    for node in root.all("hashlist"):
        where = f"{name} line {node.line}"
        filename = node.child_text("path") or ""
        if not GENERATION_NAME.match(filename) or "/" in filename or "\\" in filename:
            raise ValidationError(f"{where}: {filename!r} is not a generation file name")
        c4 = node.child_text("c4") or ""
        if not is_c4(c4):
            raise ValidationError(f"{where}: {c4!r} is not a C4 ID")
        try:
            number = int(node.attrs.get("sequencenr", ""))
        except ValueError:
            raise ValidationError(f"{where}: sequencenr is not a number") from None
        links.append(ChainLink(number, filename, c4))
    return links


def expected_files(lists: Iterable[HashList]) -> dict[str, MhlEntry]:
    """What the folder should hold now: oldest to newest, later entries win, renames move.

    A generation of the whole folder (one with a root hash) says what it held
    then: files it no longer lists were deleted by the vendor and are not
    expected any more (hashes already known for listed files are kept). A
    renamed file keeps the hashes recorded under its previous name.
    """
    lists = list(lists)
    current: dict[str, MhlEntry] = {}
    for hashlist in lists:
        if hashlist.snapshot:
            listed = {e.path for e in hashlist.entries} | {
                e.previous_path for e in hashlist.entries if e.previous_path
            }
            current = {path: entry for path, entry in current.items() if path in listed}
        for entry in hashlist.entries:
            moved = None
            if entry.previous_path and entry.previous_path != entry.path:
                moved = current.pop(entry.previous_path, None)  # same bytes, new name
            known = current.get(entry.path) or moved
            if known is not None:  # a later generation may add formats: keep both
                entry = MhlEntry(
                    entry.path, {**known.hashes, **entry.hashes}, entry.size, None, entry.where
                )
            current[entry.path] = entry
    # The latest generation's ignore patterns take files out of the folder (a
    # history continued elsewhere ignores what was not delivered), as in ascmhl.
    latest = ignore_spec(lists[-1].ignore if lists else [])
    return {path: e for path, e in current.items() if not latest.covers(path)}


def generation_filename(number: int, folder_name: str, when: datetime) -> str:
    return f"{number:04d}_{folder_name}_{when.strftime('%Y-%m-%d_%H%M%SZ')}.mhl"


def render_generation(
    entries: Iterable[MhlEntry], creator: Creator, ignore: Iterable[str] = DEFAULT_IGNORE
) -> bytes:
    """A v2 generation (process ``in-place``), valid against ASCMHL.xsd."""
    when = creator.created.isoformat(timespec="seconds")
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<hashlist version="2.0" xmlns="urn:ASC:MHL:v2.0">',
        "  <creatorinfo>",
        f"    <creationdate>{when}</creationdate>",
        f"    <hostname>{escape(creator.hostname)}</hostname>",
        f'    <tool version="{escape(creator.tool_version)}">{escape(creator.tool)}</tool>',
    ]
    if creator.author:
        lines.append(f"    <author>{escape(creator.author)}</author>")
    if creator.comment:
        lines.append(f"    <comment>{escape(creator.comment)}</comment>")
    lines += ["  </creatorinfo>", "  <processinfo>", "    <process>in-place</process>"]
    lines += ["    <ignore>", *(f"      <pattern>{escape(p)}</pattern>" for p in ignore)]
    lines += ["    </ignore>", "  </processinfo>"]
    rows = list(entries)
    if rows:
        lines.append("  <hashes>")
        for entry in rows:
            size = f' size="{entry.size}"' if entry.size is not None else ""
            lines += ["    <hash>", f"      <path{size}>{escape(entry.path)}</path>"]
            for algorithm in HASH_FORMATS:
                if algorithm in entry.hashes:
                    digest = escape(entry.hashes[algorithm])
                    lines.append(
                        f'      <{algorithm} action="original" hashdate="{when}">'
                        f"{digest}</{algorithm}>"
                    )
            if entry.previous_path:
                lines.append(f"      <previousPath>{escape(entry.previous_path)}</previousPath>")
            lines.append("    </hash>")
        lines.append("  </hashes>")
    lines.append("</hashlist>")
    return ("\n".join(lines) + "\n").encode("utf-8")


def render_chain(links: Iterable[ChainLink]) -> bytes:
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<ascmhldirectory xmlns="urn:ASC:MHL:DIRECTORY:v2.0">',
    ]
    for link in links:
        lines += [
            f'  <hashlist sequencenr="{link.number}">',
            f"    <path>{escape(link.filename)}</path>",
            f"    <c4>{link.c4}</c4>",
            "  </hashlist>",
        ]
    lines.append("</ascmhldirectory>")
    return ("\n".join(lines) + "\n").encode("utf-8")


def mhl_checksums(entry: MhlEntry) -> Mapping[str, str]:
    """``algo:digest`` per format, as the rest of OnePiece writes checksums."""
    return {algorithm: f"{algorithm}:{digest}" for algorithm, digest in entry.hashes.items()}


def _path(value: str | None, where: str) -> str:
    if not value:
        raise ValidationError(f"{where}: a hash entry has no path")
    try:
        return safe_relative_path(value)
    except ValidationError as exc:
        raise ValidationError(
            f"{where}: path {value!r} is not inside the folder ({exc.message})"
        ) from None


def _located(base: str, value: str | None, where: str) -> str:
    # The written path is checked on its own: "../x" in a list under "A001/" must not pass.
    path = _path(value, where)
    return f"{base}/{path}" if base else path


def _format(tag: str, where: str) -> str:
    if tag not in HASH_FORMATS:
        raise ValidationError(
            f"{where}: unknown hash format <{tag}>", hint=f"formats: {', '.join(HASH_FORMATS)}"
        )
    return tag


def _digest(algorithm: str, text: str, where: str) -> str:
    digest = text.strip()
    if algorithm == "c4":
        if not is_c4(digest):
            raise ValidationError(f"{where}: {digest!r} is not a C4 ID")
        return digest
    digest = digest.lower()
    if len(digest) != _HEX_LENGTHS[algorithm] or any(c not in "0123456789abcdef" for c in digest):
        raise ValidationError(f"{where}: {digest!r} is not a valid {algorithm} digest")
    return digest


def _size(value: str | None, where: str) -> int | None:
    if value is None or not value.strip():
        return None
    try:
        size = int(value)
    except ValueError:
        raise ValidationError(f"{where}: size {value!r} is not a number") from None
    if size < 0:
        raise ValidationError(f"{where}: size {value!r} is negative")
    return size


def _swap(digest: str) -> str:
    return bytes.fromhex(digest)[::-1].hex()
